/**
 * `netstrap graph FILE`: a picture of the topology (src/model/graph.ts says what is drawn, ./graph-render.ts how).
 * Exit 0 drawn, 2 bad input (nothing written).
 */
import * as fs from 'fs';
import { Command, Option } from 'commander';
import { GRAPH_FORMATS, type GraphFormat } from './graph-render';
import { type Output, printWarnings, processOutput } from './output';

interface GraphOptions {
  format: GraphFormat;
  output?: string;
  netpol?: boolean;
}

export function registerGraph(program: Command, out: Output = processOutput): void {
  program
    .command('graph')
    .description(
      'draw the topology of a cluster file: LANs, routers, nodes with their addresses, pod subnets, NAT, bridges and ' +
        'network namespaces; --netpol adds the workload connections the NetworkPolicies allow',
    )
    .argument('<cluster.yaml>', 'the cluster file')
    .addOption(
      new Option('--format <format>', 'svg (a picture), dot (Graphviz) or mermaid (for Markdown)')
        .choices([...GRAPH_FORMATS])
        .default('svg'),
    )
    .option('-o, --output <file>', 'write the drawing to FILE instead of stdout')
    .option('--netpol', 'add the workloads and the connections their NetworkPolicies allow (as `netstrap netpol list`)')
    .action(async (file: string, opts: GraphOptions) => {
      // Loaded when the command runs, so `--help` and the other commands do not pay for the model's modules.
      const { loadClusterFile } = require('../model/load') as typeof import('../model/load');
      const { InputError } = require('../model/errors') as typeof import('../model/errors');
      const { topologyGraph } = require('../model/graph') as typeof import('../model/graph');
      const render = require('./graph-render') as typeof import('./graph-render');
      // A check that cannot pass does not stop a picture of the network (as `netstrap trace`).
      const model = loadClusterFile(file, { traceProbes: false });
      const { cluster } = model;
      // With --netpol, the inputs read carry the cluster file's warnings (printed once, below).
      if (!opts.netpol) printWarnings(out, model);
      let analysis: import('../model/netpol/analyze').NetpolAnalysis | undefined;
      if (opts.netpol) {
        const { readNetpolInputs } = require('../model/netpol/read') as typeof import('../model/netpol/read');
        const { NetpolAnalysis } = require('../model/netpol/analyze') as typeof import('../model/netpol/analyze');
        const { synthesizedObjects } = require('./netpol') as typeof import('./netpol');
        const input = readNetpolInputs([file], synthesizedObjects);
        for (const line of input.warnings) out.err(`${line}\n`);
        analysis = new NetpolAnalysis(input.inventory);
      }
      const graph = topologyGraph(cluster, analysis);
      const dot = render.toDot(graph);
      const text =
        opts.format === 'dot' ? dot : opts.format === 'mermaid' ? render.toMermaid(graph) : await render.dotToSvg(dot);
      if (opts.output === undefined) {
        out.out(text);
        return;
      }
      try {
        fs.writeFileSync(opts.output, text);
      } catch (error) {
        throw new InputError('netstrap graph', [
          { path: ['output'], message: `cannot write ${JSON.stringify(opts.output)}: ${(error as Error).message}` },
        ]);
      }
      out.out(
        `${opts.output}: ${opts.format} of cluster ${cluster.name}: ${graph.lans.length} LANs, ${graph.nodes.length} nodes` +
          (analysis ? `, ${graph.workloads.length} workloads, ${graph.connections.length} allowed connections` : '') +
          '\n',
      );
    });
}
