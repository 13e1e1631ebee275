'use strict';
// Keeps CONCURRENCY Convert calls in flight through clients/node's Client until standard input
// closes (or LIMIT calls were made), then prints {"ok": N, "failed": N, "errors": [...]}.
//   node balance-check.js TARGET REQUEST.json [CONCURRENCY] [LIMIT]
// tests/clients/test_balancing.py drives it.
const fs = require('node:fs');
const path = require('node:path');
const { Client } = require(path.resolve(__dirname, '..', '..', '..', 'clients', 'node', 'lib', 'client'));

async function main([target, requestFile, concurrency = '4', limit = '20000']) {
  const { vmi, context } = JSON.parse(fs.readFileSync(requestFile, 'utf8'));
  const client = new Client(target, { timeoutMs: 30_000 });
  let stop = false;
  process.stdin.on('end', () => { stop = true; });
  process.stdin.resume();
  let made = 0;
  let ok = 0;
  const errors = [];
  async function worker() {
    while (!stop && made++ < Number(limit)) {
      try {
        await client.convert(vmi, { context });
        ok += 1;
      } catch (error) {
        errors.push(`${error.codeName || ''}: ${error.message}`);
      }
    }
  }
  await Promise.all(Array.from({ length: Number(concurrency) }, worker));
  client.close();
  process.stdout.write(`${JSON.stringify({ ok, failed: errors.length, errors })}\n`);
  process.exit(0);
}

main(process.argv.slice(2));
