/**
 * Drawing a TopologyGraph (src/model/graph.ts): Graphviz DOT, Mermaid (for Markdown pages), and SVG laid out by
 * Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz), in-process: no system package is needed.
 */
import type { GraphConnection, GraphNode, TopologyGraph } from '../model/graph';

export const GRAPH_FORMATS = ['svg', 'dot', 'mermaid'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

const COLOURS = {
  lan: '#dbeafe',
  router: '#fed7aa',
  node: '#bbf7d0',
  host: '#e5e7eb',
  bridge: '#e9d5ff',
  netns: '#fef9c3',
  workload: '#cffafe',
  external: '#f3f4f6',
  note: '#b91c1c',
} as const;

/**
 * Graphviz in WebAssembly has no font files: it sizes text by built-in metrics of the PostScript fonts. A browser
 * without Helvetica draws sans-serif text wider than those metrics and it overflows the boxes; a monospaced font is
 * as wide everywhere (Courier's metrics, drawn as the system monospace), and lines up addresses too.
 */
const FONT = 'Courier';

/** A DOT ID: always quoted, so that any name is one. */
const id = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
/** Text inside a DOT HTML-like label. */
const html = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** A DOT string of several lines (the `\n` escape centres each). */
const lines = (...parts: string[]) =>
  `"${parts.map((p) => p.replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\n')}"`;

/** `cluster example: pods 10.244.0.0/16, services 10.96.0.0/12, CNI weave`. */
function title(graph: TopologyGraph): string {
  const { podCidr, serviceCidr, cni } = graph.network;
  return `cluster ${graph.name}: pods ${podCidr}, services ${serviceCidr}, CNI ${cni}`;
}

function kindLine(node: GraphNode): string {
  if (node.kind === 'router') return 'router (forwards between LANs)';
  return node.forwards ? `${node.role}, forwards` : node.role;
}

function nodeTable(node: GraphNode): string {
  const row = (text: string, extra = '') => `<tr><td align="left"${extra}>${html(text)}</td></tr>`;
  const rows = [
    `<tr><td bgcolor="${COLOURS[node.kind]}"><b>${html(node.name)}</b></td></tr>`,
    row(kindLine(node)),
    ...node.interfaces.map((iface, i) =>
      row(
        `${iface.name} ${iface.addresses.join(', ') || '(no address)'}${iface.mtu ? ` mtu ${iface.mtu}` : ''}`,
        ` port="if${i}"`,
      ),
    ),
    ...(node.podSubnet ? [row(`pods ${node.podSubnet}`)] : []),
    ...node.routes.map((route) => row(route)),
    ...node.nat.map((rule) => row(rule)),
    ...(node.note ? [`<tr><td align="left"><font color="${COLOURS.note}">${html(node.note)}</font></td></tr>`] : []),
  ];
  return `<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">${rows.join('')}</table>>`;
}

/**
 * Left-to-right order of the LANs: 0 for the first, then one more per node that joins a LAN to the ones before
 * (breadth first), so that `lan1 — router — lan2` reads in that order.
 */
function lanLevels(graph: TopologyGraph): Map<string, number> {
  const levels = new Map<string, number>();
  const lansOf = graph.nodes.map((n) => [...new Set(n.interfaces.flatMap((i) => (i.lan ? [i.lan] : [])))]);
  for (const start of graph.lans) {
    if (levels.has(start.id)) continue;
    levels.set(start.id, 0);
    const queue = [start.id];
    for (let k = 0; k < queue.length; k++) {
      for (const lans of lansOf) {
        if (!lans.includes(queue[k])) continue;
        for (const lan of lans) {
          if (levels.has(lan)) continue;
          levels.set(lan, levels.get(queue[k])! + 1);
          queue.push(lan);
        }
      }
    }
  }
  return levels;
}

/**
 * Whether the node is drawn left of the LAN (the DOT edge node → LAN): a node on LANs of several levels sits right of
 * its lowest and left of the others; a node on one LAN sits left of the first LAN and right of later ones.
 */
function nodeFirst(node: GraphNode, lan: string, levels: ReadonlyMap<string, number>): boolean {
  const own = [...new Set(node.interfaces.flatMap((i) => (i.lan ? [levels.get(i.lan) ?? 0] : [])))];
  const level = levels.get(lan) ?? 0;
  return own.length > 1 ? level > Math.min(...own) : level === 0;
}

/** Connections, with A → B and B → A on the same ports drawn as one edge with two arrows. */
interface DrawnConnection extends GraphConnection {
  /** Arrows both ways: the reverse connection has the same ports. */
  readonly both: boolean;
}

function pairedConnections(graph: TopologyGraph): DrawnConnection[] {
  const ports = new Map(graph.connections.map((c) => [`${c.from}\u0000${c.to}`, c.ports]));
  return graph.connections.flatMap((c): DrawnConnection[] => {
    const back = ports.get(`${c.to}\u0000${c.from}`);
    if (back !== c.ports) return [{ ...c, both: false }];
    // The pair is drawn once, at the first of its two directions.
    return c.from < c.to ? [{ ...c, both: true }] : [];
  });
}

/** Graphviz DOT: an undirected graph; allowed connections are arrows. */
export function toDot(graph: TopologyGraph): string {
  const levels = lanLevels(graph);
  const out = [
    `graph ${id(graph.name)} {`,
    `  graph [rankdir=LR, fontname="${FONT}", fontsize=12, labelloc=t, label=${id(title(graph))}, nodesep=0.4, ranksep=0.8]`,
    `  node [fontname="${FONT}", fontsize=11]`,
    `  edge [fontname="${FONT}", fontsize=10]`,
  ];
  for (const lan of graph.lans) {
    out.push(
      `  ${id(lan.id)} [shape=ellipse, style=filled, fillcolor="${COLOURS.lan}", label=${lines(lan.name, lan.cidr)}]`,
    );
  }
  graph.nodes.forEach((node, n) => {
    const inner = node.bridges.length + node.namespaces.length > 0;
    if (inner) out.push(`  subgraph ${id(`cluster_${n}`)} {`, '    graph [label="", style="dashed,rounded"]');
    const pad = inner ? '    ' : '  ';
    out.push(`${pad}${id(node.id)} [shape=plain, label=${nodeTable(node)}]`);
    for (const bridge of node.bridges) {
      out.push(
        `${pad}${id(bridge.id)} [shape=box, style="rounded,filled", fillcolor="${COLOURS.bridge}", label=${lines(`bridge ${bridge.name}`, ...bridge.addresses)}]`,
        `${pad}${id(node.id)} -- ${id(bridge.id)} [style=dotted]`,
      );
    }
    for (const ns of node.namespaces) {
      const label = lines(
        `netns ${ns.name}`,
        `${ns.interface} ${ns.address}`,
        ...(ns.defaultRoute ? [`default via ${ns.defaultRoute}`] : []),
      );
      out.push(
        `${pad}${id(ns.id)} [shape=box, style=filled, fillcolor="${COLOURS.netns}", label=${label}]`,
        `${pad}${id(ns.bridge ?? node.id)} -- ${id(ns.id)} [label=${id(`veth ${ns.hostSide}`)}]`,
      );
    }
    if (inner) out.push('  }');
    node.interfaces.forEach((iface, i) => {
      if (!iface.lan) return;
      const [tail, head] = [`${id(node.id)}:if${i}`, id(iface.lan)];
      out.push(`  ${nodeFirst(node, iface.lan, levels) ? `${tail} -- ${head}` : `${head} -- ${tail}`}`);
    });
  });
  const namespaces = [...new Set(graph.workloads.map((w) => w.namespace))];
  namespaces.forEach((ns, k) => {
    out.push(
      `  subgraph ${id(`cluster_ns_${k}`)} {`,
      `    graph [label=${id(`namespace ${ns}`)}, style="rounded", color="#0891b2"]`,
    );
    for (const w of graph.workloads.filter((x) => x.namespace === ns)) {
      out.push(
        `    ${id(w.id)} [shape=box, style="rounded,filled", fillcolor="${COLOURS.workload}", label=${lines(w.name, w.kind)}]`,
      );
    }
    out.push('  }');
  });
  for (const ext of graph.externals) {
    out.push(`  ${id(ext.id)} [shape=note, style=filled, fillcolor="${COLOURS.external}", label=${id(ext.ranges)}]`);
  }
  for (const { from, to, ports, both } of pairedConnections(graph)) {
    out.push(
      `  ${id(from)} -- ${id(to)} [dir=${both ? 'both' : 'forward'}, color="#0891b2", fontcolor="#0e7490", label=${id(ports)}]`,
    );
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

/** Text inside a Mermaid quoted label (`#quot;` and friends are Mermaid's entity codes). */
const mermaidText = (text: string) =>
  text.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
const mermaidLabel = (...parts: string[]) => `"${parts.map(mermaidText).join('<br/>')}"`;

/** A Mermaid flowchart (renders in GitHub and GitLab Markdown). */
export function toMermaid(graph: TopologyGraph): string {
  // Mermaid ids must be plain words: each graph id gets a short one.
  const ids = new Map<string, string>();
  const m = (graphId: string) => {
    if (!ids.has(graphId)) ids.set(graphId, `n${ids.size}`);
    return ids.get(graphId)!;
  };
  const out = ['---', `title: ${JSON.stringify(title(graph))}`, '---', 'flowchart LR'];
  for (const lan of graph.lans) out.push(`  ${m(lan.id)}([${mermaidLabel(lan.name, lan.cidr)}])`);
  const edges: string[] = [];
  graph.nodes.forEach((node, n) => {
    const label = mermaidLabel(
      node.name,
      kindLine(node),
      ...node.interfaces.map((i) => `${i.name} ${i.addresses.join(', ')}`),
      ...(node.podSubnet ? [`pods ${node.podSubnet}`] : []),
      ...node.routes,
      ...node.nat,
      ...(node.note ? [node.note] : []),
    );
    const inner = node.bridges.length + node.namespaces.length > 0;
    if (inner) out.push(`  subgraph g${n}[${mermaidLabel(node.name)}]`);
    const pad = inner ? '    ' : '  ';
    out.push(`${pad}${m(node.id)}[${label}]`);
    for (const bridge of node.bridges) {
      out.push(`${pad}${m(bridge.id)}[${mermaidLabel(`bridge ${bridge.name}`, ...bridge.addresses)}]`);
      edges.push(`  ${m(node.id)} -.- ${m(bridge.id)}`);
    }
    for (const ns of node.namespaces) {
      out.push(
        `${pad}${m(ns.id)}[[${mermaidLabel(`netns ${ns.name}`, `${ns.interface} ${ns.address}`, ...(ns.defaultRoute ? [`default via ${ns.defaultRoute}`] : []))}]]`,
      );
      edges.push(`  ${m(ns.bridge ?? node.id)} ---|${mermaidLabel(`veth ${ns.hostSide}`)}| ${m(ns.id)}`);
    }
    if (inner) out.push('  end');
    for (const iface of node.interfaces) {
      if (iface.lan) edges.push(`  ${m(node.id)} ---|${mermaidLabel(iface.name)}| ${m(iface.lan)}`);
    }
  });
  const namespaces = [...new Set(graph.workloads.map((w) => w.namespace))];
  namespaces.forEach((ns, k) => {
    out.push(`  subgraph k${k}[${mermaidLabel(`namespace ${ns}`)}]`);
    for (const w of graph.workloads.filter((x) => x.namespace === ns))
      out.push(`    ${m(w.id)}(${mermaidLabel(w.name, w.kind)})`);
    out.push('  end');
  });
  for (const ext of graph.externals) out.push(`  ${m(ext.id)}[/${mermaidLabel(ext.ranges)}/]`);
  for (const c of graph.connections) edges.push(`  ${m(c.from)} -->|${mermaidLabel(c.ports)}| ${m(c.to)}`);
  return `${[...out, ...edges].join('\n')}\n`;
}

/**
 * DOT → SVG with Graphviz compiled to WebAssembly. The package is an ES module: Node loads it through require from
 * 20.19 on; older Node gets a plain message.
 */
export async function dotToSvg(dot: string): Promise<string> {
  let wasm: typeof import('@hpcc-js/wasm-graphviz');
  try {
    wasm = require('@hpcc-js/wasm-graphviz') as typeof import('@hpcc-js/wasm-graphviz');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw error;
    throw new Error(
      `--format svg needs Node 20.19 or later (it loads Graphviz, an ES module, through require); this is ${process.version}: use --format dot`,
    );
  }
  const graphviz = await wasm.Graphviz.load();
  return graphviz.dot(dot, 'svg');
}
