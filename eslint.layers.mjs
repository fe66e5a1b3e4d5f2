// The layer order, as lint zones: each entry says which folders the files of `target` may not import from, and why.
// docs/ARCHITECTURE.md draws the same order; test/unit/layers.test.ts shows that a backwards import fails lint.
const host = (layer) => `./host/${layer}`;
/** Bottom to top. */
const LAYERS = ['observability', 'workspace', 'models', 'sandbox', 'memory', 'governance', 'tools', 'orchestration'];
/** The host's assembly: AgentHost, the JSON-RPC adapter (main.ts, rpc/), the CLI and the toolbox. No layer imports it. */
const assembly = ['./host/main.ts', './host/cli.ts', './host/cli', './host/agentHost.ts', './host/rpc', './host/toolbox.ts', './host/startRunParams.ts'];

function above(layer, layers, why) {
  return { target: host(layer), from: layers.map(host), message: `${layer}/ may not import ${why}: that layer is above it (docs/ARCHITECTURE.md, "Layer order").` };
}

export const layerZones = [
  { target: './extension', from: ['./host', './webview-ui'], message: 'The extension talks to the host only through protocol/ (JSON-RPC); move shared code to protocol/ (pure) or protocol/node/ (Node).' },
  { target: './webview-ui', from: ['./host', './extension', './protocol/node'], message: 'The webview runs in a browser and speaks only protocol/ messages.' },
  { target: './protocol', from: ['./host', './extension', './webview-ui'], message: 'protocol/ is the bottom layer that all sides import; it imports none of them.' },
  { target: './host', from: ['./extension', './webview-ui'], message: 'The host runs headless; it reaches VS Code only through the protocol.' },
  above('observability', ['workspace', 'models', 'sandbox', 'memory', 'governance', 'tools', 'orchestration'], 'another host layer'),
  above('workspace', ['observability', 'models', 'sandbox', 'memory', 'governance', 'tools', 'orchestration'], 'another host layer'),
  above('sandbox', ['models', 'memory', 'governance', 'tools', 'orchestration'], 'models, memory, governance, tools or orchestration'),
  above('models', ['sandbox', 'memory', 'governance', 'tools', 'orchestration'], 'sandbox, memory, governance, tools or orchestration'),
  above('memory', ['governance', 'tools', 'orchestration'], 'governance, tools or orchestration'),
  above('governance', ['tools', 'orchestration'], 'tools or orchestration'),
  above('tools', ['orchestration'], 'orchestration'),
  { target: LAYERS.map(host), from: assembly, message: 'Only the assembly (main.ts, cli.ts, toolbox.ts) puts the layers together; no layer imports it.' },
];
