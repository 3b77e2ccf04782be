// The development launcher (`npm run netstrap -- <args>`): the CLI straight from the TypeScript sources through
// tsx, so an edit runs without a build. bin/netstrap runs the compiled lib/ only.
import { main } from '../src/cli/main';

void main(process.argv);
