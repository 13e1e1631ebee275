'use strict';
// A small client of the vmi-converter gRPC service (kubevirt.converter.v1.Converter) on
// @grpc/grpc-js and @grpc/proto-loader. The protos are loaded at run time from protos/ of
// the repository (or the `protoDir` option, or $VMI_CONVERTER_PROTOS).
//
//   const { Client, ConversionFailed } = require('vmi-converter-client');
//   const client = new Client('unix:///run/conv.sock');        // or '127.0.0.1:50051'
//   const { domainXml, warnings } = await client.convert(vmi, { context });
//   for await (const r of client.convertMany([{ id: 'a', vmi, context }, ...])) {
//     if (r instanceof ConversionFailed) console.error(r.id, r.codeName, r.field, r.message);
//     else console.log(r.id, r.domainXml);
//   }
//   client.close();
//
// A VMI (an object in Kubernetes JSON, or JSON/YAML text) is sent as `vmi_json` bytes: the
// server parses it and reports unknown fields as warnings. A context is an object in
// Kubernetes/proto3 JSON form (`bochsForEFIGuests`, `disksInfo.x.actual-size`, ...) and is
// turned into a ConverterContext message here, following the protos' json_name options.

const path = require('node:path');
const { once } = require('node:events');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const SERVICE_PROTO = 'kubevirt/converter/v1/service.proto';
const PACKAGE = 'kubevirt.converter.v1';
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';

// google/rpc/error_details.proto is not in protos/; BadRequest is all we read of it.
const ERROR_DETAILS = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        rpc: {
          nested: {
            BadRequest: {
              fields: { field_violations: { rule: 'repeated', type: 'FieldViolation', id: 1 } },
              nested: {
                FieldViolation: {
                  fields: { field: { type: 'string', id: 1 }, description: { type: 'string', id: 2 } },
                },
              },
            },
          },
        },
      },
    },
  },
});
const BadRequest = ERROR_DETAILS.lookupType('google.rpc.BadRequest');

const CODE_NAMES = Object.fromEntries(
  Object.entries(grpc.status).filter(([name]) => Number.isNaN(Number(name))).map(([name, n]) => [n, name]),
);

// The calls that may be sent again: each answer depends on its request alone (ConvertStream: only
// its opening; once the server answered, the stream is committed to that server).
const IDEMPOTENT_METHODS = ['Convert', 'ConvertStream', 'Explain', 'Info', 'MigratableXML', 'HotplugDisk'];
// The gRPC service config every Client uses unless its channelOptions bring 'grpc.service_config'.
// round_robin: a connection to every address the target resolves to (a headless Service's pods, or
// 'ipv4:10.0.0.1:50051,10.0.0.2:50051'), calls spread over them (pick_first, the default, would send
// all to one). The retry policy sends a call that found its server gone (UNAVAILABLE) again.
const SERVICE_CONFIG = {
  loadBalancingConfig: [{ round_robin: {} }],
  methodConfig: [
    {
      name: IDEMPOTENT_METHODS.map((method) => ({ service: `${PACKAGE}.Converter`, method })),
      retryPolicy: {
        maxAttempts: 5,
        initialBackoff: '0.1s',
        maxBackoff: '1s',
        backoffMultiplier: 2,
        retryableStatusCodes: ['UNAVAILABLE'],
      },
    },
  ],
};

function defaultProtoDir() {
  return process.env.VMI_CONVERTER_PROTOS || path.resolve(__dirname, '..', '..', '..', 'protos');
}

/** A conversion the server (or this client, before sending) refused; also thrown for failed calls. */
class ConversionFailed extends Error {
  constructor({ code, message, id = '', violations = [] }) {
    super(message);
    this.name = 'ConversionFailed';
    /** gRPC status code number (grpc.status.INVALID_ARGUMENT is 3). */
    this.code = code;
    /** Its name, e.g. "INVALID_ARGUMENT". */
    this.codeName = CODE_NAMES[code] || String(code);
    this.id = id;
    /** google.rpc.BadRequest field violations: [{field, description}]. */
    this.violations = violations;
    /** The offending field's path, e.g. "spec.domain.devices.disks[2].cache" (first violation). */
    this.field = violations.length ? violations[0].field : undefined;
  }
}

/** Loads the protos once per directory: the gRPC service and a protobufjs root for the JSON mapping. */
const loaded = new Map();
function load(protoDir) {
  if (!loaded.has(protoDir)) {
    const definition = protoLoader.loadSync(SERVICE_PROTO, {
      includeDirs: [protoDir],
      keepCase: true,
      longs: String,
      enums: String,
      defaults: false,
      oneofs: true,
    });
    const root = new protobuf.Root();
    root.resolvePath = (origin, target) => (path.isAbsolute(target) ? target : path.join(protoDir, target));
    root.loadSync(SERVICE_PROTO, { keepCase: true });
    root.resolveAll();
    loaded.set(protoDir, {
      Converter: grpc.loadPackageDefinition(definition).kubevirt.converter.v1.Converter,
      root,
      Status: root.lookupType('google.rpc.Status'),
      ConverterContext: root.lookupType(`${PACKAGE}.ConverterContext`),
    });
  }
  return loaded.get(protoDir);
}

function lowerCamel(name) {
  return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

function jsonValue(value) {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  if (Array.isArray(value)) return { listValue: { values: value.map(jsonValue) } };
  switch (typeof value) {
    case 'number': return { numberValue: value };
    case 'string': return { stringValue: value };
    case 'boolean': return { boolValue: value };
    default: return { structValue: jsonStruct(value) };
  }
}

function jsonStruct(object) {
  return { fields: Object.fromEntries(Object.entries(object).map(([k, v]) => [k, jsonValue(v)])) };
}

/**
 * Turns an object in proto3 JSON form (json_name, or lowerCamelCase, or the proto name) into
 * the plain object proto-loader serializes (proto field names). Throws ConversionFailed with
 * the path of an unknown field or a value of the wrong shape.
 */
function fromJson(type, object, where) {
  if (type.fullName === '.google.protobuf.Timestamp') return timestamp(object, where);
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw invalid(where, `expected an object for ${type.fullName.slice(1)}`);
  }
  switch (type.fullName) {
    case '.google.protobuf.Struct': return jsonStruct(object);
    case '.google.protobuf.Value': return jsonValue(object);
    case '.google.protobuf.ListValue': return { values: object.map(jsonValue) };
    default: break;
  }
  const byJsonName = new Map();
  for (const field of type.fieldsArray) {
    byJsonName.set((field.options && field.options.json_name) || lowerCamel(field.name), field);
    byJsonName.set(field.name, field);
  }
  const out = {};
  for (const [key, value] of Object.entries(object)) {
    const field = byJsonName.get(key);
    const at = where ? `${where}.${key}` : key;
    if (!field) throw invalid(at, 'unknown field');
    if (value === null) continue;
    const one = (v, p) => (field.resolvedType instanceof protobuf.Type ? fromJson(field.resolvedType, v, p) : v);
    if (field.map) {
      if (typeof value !== 'object' || Array.isArray(value)) throw invalid(at, 'expected an object (map)');
      out[field.name] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, one(v, `${at}[${k}]`)]));
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw invalid(at, 'expected a list');
      out[field.name] = value.map((v, i) => one(v, `${at}[${i}]`));
    } else {
      out[field.name] = one(value, at);
    }
  }
  return out;
}

/** An RFC 3339 string (how Kubernetes and protobuf's JSON mapping write a Timestamp) as {seconds, nanos}. */
function timestamp(text, where) {
  const match = typeof text === 'string'
    && /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(text);
  const millis = match ? Date.parse(`${match[1]}${match[3].toUpperCase()}`) : NaN;
  if (Number.isNaN(millis)) throw invalid(where, 'expected an RFC 3339 timestamp such as 2024-05-01T10:00:00Z');
  return { seconds: String(Math.floor(millis / 1000)), nanos: Number((match[2] || '').padEnd(9, '0')) };
}

function invalid(field, description) {
  return new ConversionFailed({
    code: grpc.status.INVALID_ARGUMENT,
    message: `${field}: ${description}`,
    violations: [{ field, description }],
  });
}

function violationsOf(status) {
  const violations = [];
  for (const detail of status.details || []) {
    if (detail.type_url === BAD_REQUEST_TYPE) {
      for (const v of BadRequest.decode(detail.value).field_violations) {
        violations.push({ field: v.field, description: v.description });
      }
    }
  }
  return violations;
}

class Client {
  /**
   * @param {string} target  "host:port", "unix:///path" or "unix:/path", or several addresses
   *   ("ipv4:10.0.0.1:50051,10.0.0.2:50051", "dns:///conv.ns.svc:50051" for a headless Service),
   *   balanced round-robin with UNAVAILABLE retried (SERVICE_CONFIG)
   * @param {{protoDir?: string, credentials?: grpc.ChannelCredentials, timeoutMs?: number,
   *   channelOptions?: object}} [options]
   */
  constructor(target, options = {}) {
    const protos = load(options.protoDir || defaultProtoDir());
    this._protos = protos;
    this._timeoutMs = options.timeoutMs ?? 60_000;
    const channelOptions = { 'grpc.service_config': JSON.stringify(SERVICE_CONFIG), ...options.channelOptions };
    this.stub = new protos.Converter(target, options.credentials || grpc.credentials.createInsecure(), channelOptions);
  }

  close() {
    this.stub.close();
  }

  _deadline() {
    return new Date(Date.now() + this._timeoutMs);
  }

  /** The fields of a Convert(Stream)Request; throws ConversionFailed for a context that does not parse. */
  request({ id = '', vmi, context }) {
    const request = { id };
    if (Buffer.isBuffer(vmi) || vmi instanceof Uint8Array) request.vmi_json = Buffer.from(vmi);
    else if (typeof vmi === 'string') request.vmi_json = Buffer.from(vmi, 'utf8');
    else if (vmi !== undefined && vmi !== null) request.vmi_json = Buffer.from(JSON.stringify(vmi), 'utf8');
    if (context !== undefined && context !== null) {
      request.context = fromJson(this._protos.ConverterContext, context, 'context');
    }
    return request;
  }

  _failure(error, id) {
    let status = { code: error.code, message: error.details || error.message };
    const [raw] = error.metadata ? error.metadata.get('grpc-status-details-bin') : [];
    if (raw) status = this._protos.Status.toObject(this._protos.Status.decode(raw), { bytes: Buffer });
    return new ConversionFailed({ code: status.code, message: status.message, id, violations: violationsOf(status) });
  }

  /**
   * Converts one VMI.
   * @returns {Promise<{id: string, domainXml: string, warnings: string[]}>}
   * @throws {ConversionFailed}
   */
  async convert(vmi, { context, id = '' } = {}) {
    const request = this.request({ id, vmi, context });
    const response = await new Promise((resolve, reject) => {
      this.stub.Convert(request, { deadline: this._deadline() }, (error, answer) => {
        if (error) reject(this._failure(error, id));
        else resolve(answer);
      });
    });
    return { id: response.id || '', domainXml: response.domain_xml || '', warnings: response.warnings || [] };
  }

  /**
   * Converts a batch through one ConvertStream call. `items` is an (async) iterable of
   * {id, vmi, context}; yields, in the same order, {id, domainXml, warnings} or a ConversionFailed
   * for each. One bad item never ends the stream; a failed call throws ConversionFailed.
   * An item whose context does not parse, or that is itself a ConversionFailed (say, a file
   * that could not be read), is not sent and comes back in its place.
   */
  async *convertMany(items, { timeoutMs } = {}) {
    const deadline = new Date(Date.now() + (timeoutMs ?? this._timeoutMs * 10));
    const call = this.stub.ConvertStream({ deadline });
    call.on('error', () => {}); // errors reach the loop below; this only keeps a late one from being "unhandled"
    const stop = new AbortController();
    // What was sent, in order: a local failure (never sent) or null for one server answer.
    const order = [];
    let writeError = null;
    const writer = (async () => {
      try {
        for await (const item of items) {
          if (stop.signal.aborted) return;
          if (item instanceof ConversionFailed) {
            order.push(item);
            continue;
          }
          let request;
          try {
            request = this.request(item);
          } catch (error) {
            if (!(error instanceof ConversionFailed)) throw error;
            error.id = item.id || '';
            order.push(error);
            continue;
          }
          order.push(null);
          if (!call.write(request)) await once(call, 'drain', { signal: stop.signal });
        }
        call.end();
      } catch (error) {
        if (!stop.signal.aborted) {
          writeError = error;
          call.cancel();
        }
      }
    })();

    let finished = false;
    try {
      for await (const response of call) {
        while (order.length && order[0] !== null) yield order.shift();
        order.shift();
        const id = response.id || '';
        if (response.result === 'error') {
          const status = response.error;
          yield new ConversionFailed({ code: status.code, message: status.message, id, violations: violationsOf(status) });
        } else {
          yield { id, domainXml: response.domain_xml || '', warnings: response.warnings || [] };
        }
      }
      finished = true;
    } catch (error) {
      if (writeError) throw writeError;
      throw this._failure(error, '');
    } finally {
      if (!finished) {
        // The caller stopped early (or the call failed): end the call and the writer.
        stop.abort();
        call.cancel();
      } else {
        await writer;
      }
    }
    if (writeError) throw writeError;
    while (order.length) yield order.shift();
  }
}

module.exports = { Client, ConversionFailed, SERVICE_CONFIG, fromJson, load, defaultProtoDir };
