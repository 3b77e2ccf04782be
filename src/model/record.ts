/**
 * A zod record that never drops a key. zod's z.record skips a `__proto__` key without a word (assigning it to a
 * plain object would set the prototype), so `matchLabels: {__proto__: x}` became `{}` and selected every pod.
 * Here every own key, `__proto__` included, goes through the key and value schemas; the output defines it as an
 * own property (as JSON.parse and js-yaml do), so the field's own rules then accept or reject it like any key.
 */
import { z } from 'zod';

const PROTO = '__proto__';

type Path = Array<string | number>;
const keyPath = (path: ReadonlyArray<PropertyKey>): Path => path.map((p) => (typeof p === 'symbol' ? String(p) : p));

export function record<K extends z.ZodType<string, string>, V extends z.ZodType>(key: K, value: V) {
  const plain = z.record(key, value);
  const { $schema: _schema, ...jsonSchema } = z.toJSONSchema(plain, { io: 'input', unrepresentable: 'any' });
  void _schema;
  // A check that replaces the value, not a transform: zod's JSON Schema drops the defaults around a transform.
  return z
    .custom<Record<string, z.output<V>>>()
    .check((payload) => {
      const input = payload.value as unknown;
      // The inner issues keep their code (a wrong type stays invalid_type), so callers can tell the kinds apart.
      const issue = (problem: z.core.$ZodIssue, path: Path) =>
        payload.issues.push({ ...problem, path, input } as never);
      const parsed = plain.safeParse(input);
      for (const problem of parsed.error?.issues ?? []) issue(problem, keyPath(problem.path));
      if (!parsed.success || !Object.hasOwn(input as object, PROTO)) {
        if (parsed.success) payload.value = parsed.data;
        return;
      }
      // The `__proto__` entry, checked by the same schemas; then the output rebuilt in the input's key order.
      const protoKey = key.safeParse(PROTO);
      const protoValue = value.safeParse((input as Record<string, unknown>)[PROTO]);
      for (const problem of protoKey.error?.issues ?? []) issue(problem, [PROTO]);
      for (const problem of protoValue.error?.issues ?? []) issue(problem, [PROTO, ...keyPath(problem.path)]);
      if (!protoKey.success || !protoValue.success) return;
      const out: Record<string, z.output<V>> = {};
      for (const name of Object.keys(input as object)) {
        const entry = name === PROTO ? protoValue.data : parsed.data[name];
        Object.defineProperty(out, name, { value: entry, enumerable: true, writable: true, configurable: true });
      }
      payload.value = out;
    })
    .meta(jsonSchema);
}
