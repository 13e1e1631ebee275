// Types of lib/client.js for TypeScript callers.
import type { ChannelCredentials, Client as GrpcClient } from '@grpc/grpc-js';

/** A VMI: an object in Kubernetes JSON, or JSON/YAML text or bytes (sent as `vmi_json`). */
export type Vmi = Record<string, unknown> | string | Uint8Array;
/** A ConverterContext in Kubernetes/proto3 JSON form. */
export type Context = Record<string, unknown>;

export interface ConvertResult {
  id: string;
  domainXml: string;
  warnings: string[];
}

export interface FieldViolation {
  field: string;
  description: string;
}

export interface Item {
  id?: string;
  vmi: Vmi;
  context?: Context;
}

export class ConversionFailed extends Error {
  constructor(init: { code: number; message: string; id?: string; violations?: FieldViolation[] });
  /** gRPC status code number (3 is INVALID_ARGUMENT). */
  code: number;
  /** Its name, e.g. "INVALID_ARGUMENT". */
  codeName: string;
  id: string;
  violations: FieldViolation[];
  /** Path of the offending field (the first BadRequest violation), e.g. "spec.domain.devices.disks[2].cache". */
  field?: string;
}

export interface ClientOptions {
  /** Directory holding kubevirt/converter/v1/*.proto (default $VMI_CONVERTER_PROTOS, else the repository's protos/). */
  protoDir?: string;
  credentials?: ChannelCredentials;
  /** Deadline of a Convert call (a stream gets ten times this), default 60000. */
  timeoutMs?: number;
  /** grpc-js channel options; a 'grpc.service_config' here replaces SERVICE_CONFIG. */
  channelOptions?: Record<string, unknown>;
}

/** The default gRPC service config: round_robin over all resolved addresses, UNAVAILABLE retried on the idempotent calls. */
export const SERVICE_CONFIG: Record<string, unknown>;

export class Client {
  /** @param target "host:port", "unix:///path", "unix:/path" or several addresses ("ipv4:A:P,B:P", "dns:///headless-svc:P") */
  constructor(target: string, options?: ClientOptions);
  /** The generated grpc-js stub, for the other RPCs (MigratableXML, HotplugDisk). */
  stub: GrpcClient & Record<string, (...args: any[]) => any>;
  close(): void;
  /** @throws ConversionFailed */
  convert(vmi: Vmi, options?: { context?: Context; id?: string }): Promise<ConvertResult>;
  /** Yields, in order, a result or a ConversionFailed per item; throws ConversionFailed when the call fails. */
  convertMany(
    items: Iterable<Item | ConversionFailed> | AsyncIterable<Item | ConversionFailed>,
    options?: { timeoutMs?: number },
  ): AsyncGenerator<ConvertResult | ConversionFailed, void, undefined>;
}

export function defaultProtoDir(): string;
