#!/usr/bin/env node
'use strict';
// Example client of the vmi-converter service (the Node.js twin of clients/go/cmd/vmi-convert).
//
//   vmi-convert [--addr ADDR] [--context ctx.json] FILE
//       Converts one VMI and prints the libvirt domain XML. FILE is a VMI (JSON or YAML) or a
//       whole ConvertRequest {"id": ..., "vmi": ..., "context": ...}.
//   vmi-convert [--addr ADDR] [--context ctx.json] --stream DIR
//       Sends every *.json, *.yaml and *.yml file of DIR (sorted by name) through one
//       ConvertStream call and prints, for each, "==> ID <==" followed by its XML or its error.
//       The id of a file is its "id" field or its name without the extension.
//
// ADDR is host:port (default 127.0.0.1:50051) or unix:///path/to/socket (also unix:/path).
// --protos DIR overrides where the .proto files are read ($VMI_CONVERTER_PROTOS, else the
// repository's protos/). Warnings go to stderr. Exit status: 0 when everything converted,
// 1 when a VMI was rejected, 2 on usage or connection errors.

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { status } = require('@grpc/grpc-js');
const { Client, ConversionFailed } = require('../lib/client');

const USAGE = 'usage: vmi-convert [--addr ADDR] [--context FILE] [--protos DIR] (FILE | --stream DIR)';

function fileId(file) {
  return path.basename(file, path.extname(file));
}

/** {id, vmi, context} of a VMI file or a request file; the VMI stays text when it is not a request. */
function readItem(file, defaultContext) {
  const text = fs.readFileSync(file);
  let top;
  try {
    top = JSON.parse(text);
  } catch {
    top = undefined; // YAML, or broken: the server says which
  }
  if (top && typeof top === 'object' && !Array.isArray(top) && 'vmi' in top) {
    return { id: top.id ?? fileId(file), vmi: top.vmi, context: top.context ?? defaultContext };
  }
  return { id: fileId(file), vmi: text, context: defaultContext };
}

function describe(failure) {
  let text = `${failure.codeName}: ${failure.message}`;
  for (const v of failure.violations) text += `\nfield: ${v.field}`;
  return text;
}

function* readDir(dir, defaultContext) {
  const files = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && ['.json', '.yaml', '.yml'].includes(path.extname(e.name)))
    .map((e) => e.name)
    .sort()
    .map((name) => path.join(dir, name));
  for (const file of files) {
    try {
      yield readItem(file, defaultContext);
    } catch (error) {
      // Unreadable here: never sent, reported in its place.
      yield new ConversionFailed({ code: status.INVALID_ARGUMENT, message: `${file}: ${error.message}`, id: fileId(file) });
    }
  }
}

async function main(argv) {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        addr: { type: 'string', default: '127.0.0.1:50051' },
        context: { type: 'string' },
        stream: { type: 'string' },
        protos: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`vmi-convert: ${error.message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if ((values.stream === undefined) !== (positionals.length === 1) || positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  let defaultContext;
  if (values.context) {
    try {
      defaultContext = JSON.parse(fs.readFileSync(values.context, 'utf8'));
    } catch (error) {
      console.error(`vmi-convert: ${values.context}: ${error.message}`);
      return 2;
    }
  }

  const client = new Client(values.addr, { protoDir: values.protos });
  try {
    if (values.stream === undefined) {
      let item;
      try {
        item = readItem(positionals[0], defaultContext);
      } catch (error) {
        console.error(`vmi-convert: ${error.message}`);
        return 2;
      }
      try {
        const result = await client.convert(item.vmi, { context: item.context, id: String(item.id) });
        for (const w of result.warnings) console.error(`vmi-convert: warning: ${w}`);
        process.stdout.write(`${result.domainXml.trimEnd()}\n`);
        return 0;
      } catch (error) {
        if (!(error instanceof ConversionFailed)) throw error;
        console.error(`vmi-convert: ${describe(error)}`);
        return error.codeName === 'INVALID_ARGUMENT' ? 1 : 2;
      }
    }

    let exit = 0;
    try {
      for await (const result of client.convertMany(readDir(values.stream, defaultContext))) {
        let out = `==> ${result.id} <==\n`;
        if (result instanceof ConversionFailed) {
          out += `error: ${describe(result)}\n`;
          exit = 1;
        } else {
          for (const w of result.warnings) console.error(`vmi-convert: ${result.id}: warning: ${w}`);
          out += `${result.domainXml.trimEnd()}\n`;
        }
        process.stdout.write(out);
      }
    } catch (error) {
      if (!(error instanceof ConversionFailed)) throw error;
      console.error(`vmi-convert: ConvertStream: ${describe(error)}`);
      return 2;
    }
    return exit;
  } finally {
    client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`vmi-convert: ${error.stack || error}`);
    process.exitCode = 2;
  },
);
