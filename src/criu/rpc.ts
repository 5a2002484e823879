// criu's RPC messages (criu_req / criu_resp), from the rpc.proto that the
// criu package installs, parsed at run time with protobufjs: the definition
// stays criu's own (never copied here) and always matches the criu that is
// installed; a missing file is named in the error.
import { readFileSync } from 'node:fs';
import { TsrunError } from '../errors.js';

declare const require: (id: string) => unknown;

/** Where criu's packages put it: Debian/Ubuntu's criu, then a `make install` from source. */
export const PROTO_PATHS = ['/usr/include/criu/rpc.proto', '/usr/local/include/criu/rpc.proto'];

/** A criu_req / criu_resp as plain data, criu's field names (snake_case). */
export type Message = Record<string, unknown>;

export interface CriuRpc {
  encodeRequest(req: Message): Buffer;
  decodeResponse(data: Buffer): Message;
  /** criu_req_type number of a name ("DUMP" -> 1). */
  reqType(name: string): number;
  reqTypeName(n: number): string;
  /** criu_cg_mode number of a name ("SOFT" -> 3). */
  cgMode(name: string): number;
  path: string;
}

/**
 * protobufjs drops fields a message does not have: a name this criu's
 * rpc.proto lacks (an older criu) is an error that says so instead.
 */
function checkFields(type: import('protobufjs').Type, obj: Message, where: string, path: string): void {
  for (const [k, v] of Object.entries(obj)) {
    const field = type.fields[k];
    if (!field) throw new TsrunError(`criu's ${path} has no field ${where}.${k}: this criu is too old for the request`);
    field.resolve();
    const sub = field.resolvedType;
    if (sub && 'fields' in sub) {
      for (const item of Array.isArray(v) ? v : [v]) {
        if (item && typeof item === 'object') checkFields(sub as import('protobufjs').Type, item as Message, `${where}.${k}`, path);
      }
    }
  }
}

export function loadRpc(paths: string[] = PROTO_PATHS): CriuRpc {
  const env = process.env.TSRUN_CRIU_PROTO;
  const tried = env ? [env] : paths;
  let source: string | undefined;
  let path = '';
  for (const p of tried) {
    try {
      source = readFileSync(p, 'utf8');
      path = p;
      break;
    } catch {
      /* next */
    }
  }
  if (source === undefined) {
    throw new TsrunError(`criu's RPC definition is missing (looked for ${tried.join(', ')}): install the criu package, which ships it`);
  }
  // protobufjs (not light/minimal): its parser reads the .proto text
  const protobuf = require('protobufjs') as typeof import('protobufjs');
  let root: import('protobufjs').Root;
  try {
    root = protobuf.parse(source, { keepCase: true }).root;
  } catch (err) {
    throw new TsrunError(`cannot parse criu's RPC definition ${path}: ${(err as Error).message}`);
  }
  const Req = root.lookupType('criu_req');
  const Resp = root.lookupType('criu_resp');
  const types = root.lookupEnum('criu_req_type');
  const modes = root.lookupEnum('criu_cg_mode');
  return {
    path,
    encodeRequest(req) {
      checkFields(Req, req, 'criu_req', path);
      const err = Req.verify(req);
      if (err) throw new TsrunError(`criu request: ${err}`);
      return Buffer.from(Req.encode(Req.fromObject(req)).finish());
    },
    decodeResponse(data) {
      return Resp.toObject(Resp.decode(data), { enums: Number, defaults: false }) as Message;
    },
    reqType(name) {
      const n = types.values[name];
      if (n === undefined) throw new TsrunError(`criu's ${path} has no request type ${name}`);
      return n;
    },
    reqTypeName(n) {
      return types.valuesById[n] ?? String(n);
    },
    cgMode(name) {
      const n = modes.values[name];
      if (n === undefined) throw new TsrunError(`criu's ${path} has no cgroup mode ${name}`);
      return n;
    },
  };
}
