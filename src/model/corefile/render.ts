/**
 * Corefile model → text. The layout is CoreDNS's usual one: server keys and `{` on one line, one plugin per line
 * indented by `indent` spaces, each nested level indented by `nestedIndent` more, `}` on its own line.
 */
import { Corefile, Directive, ServerBlock, toDirective } from './model';

/** How a Corefile is laid out. */
export interface RenderStyle {
  /** Spaces before each plugin line. @default 4 */
  readonly indent?: number;
  /** Extra spaces for each nested block level. @default 3 (kubeadm) */
  readonly nestedIndent?: number;
}

/** kubeadm's layout: plugins at 4 spaces, nested options 3 further (kubeadm-k8s-1.27-1.30.Corefile). */
export const KUBEADM_STYLE: Required<RenderStyle> = { indent: 4, nestedIndent: 3 };
/** cluster/addons/dns/coredns's layout: nested options 4 further. */
export const ADDONS_STYLE: Required<RenderStyle> = { indent: 4, nestedIndent: 4 };

/** Quotes a token when the Corefile lexer would otherwise split or misread it. */
export function quoteToken(token: string): string {
  if (token !== '' && !/[\s"]/.test(token) && !token.startsWith('#') && token !== '{' && token !== '}') return token;
  return `"${token.replace(/"/g, '\\"')}"`;
}

/** The key of a server block: `[scheme://]zone[:port]` for each zone. */
export function serverKeys(server: ServerBlock): string {
  const scheme = server.scheme ? `${server.scheme}://` : '';
  const port = server.port !== undefined ? `:${server.port}` : '';
  return server.zones.map((zone) => `${scheme}${zone}${port}`).join(' ');
}

function renderDirectives(
  directives: readonly Directive[],
  depth: number,
  style: Required<RenderStyle>,
  out: string[],
): void {
  const pad = ' '.repeat(style.indent + depth * style.nestedIndent);
  for (const d of directives) {
    const text = [d.name, ...d.args].map(quoteToken).join(' ');
    if (d.block && d.block.length > 0) {
      out.push(`${pad}${text} {`);
      renderDirectives(d.block, depth + 1, style, out);
      out.push(`${pad}}`);
    } else {
      out.push(`${pad}${text}`);
    }
  }
}

/** Renders a Corefile; the text ends with a newline. */
export function renderCorefile(corefile: Corefile, style: RenderStyle = {}): string {
  const full = { ...KUBEADM_STYLE, ...style };
  const out: string[] = [];
  for (const server of corefile.servers) {
    out.push(`${serverKeys(server)} {`);
    renderDirectives(server.plugins.map(toDirective), 0, full, out);
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}
