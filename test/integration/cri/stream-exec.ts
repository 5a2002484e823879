// The client half of a CRI streaming exec, as kubectl exec does it after the
// kubelet's Exec call: the URL containerd returns is upgraded to a WebSocket
// speaking the v4.channel.k8s.io protocol (each binary message starts with
// its channel: 1 stdout, 2 stderr, 3 the final status as JSON). Only what a
// test needs: nothing is written to stdin (a tty exec asks for it, as
// kubectl exec -it does, and the channel stays open until the server ends
// the stream), no resize. Node 20 has no WebSocket client, and the
// framing for reading is a few lines (RFC 6455 section 5.2).
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';

export interface StreamExecResult {
  stdout: string;
  stderr: string;
  /** The command's exit code, from the status message (0 on "Success"). */
  exitCode: number;
  status: { status?: string; message?: string };
}

export function streamExec(url: string, timeoutMs = 30_000): Promise<StreamExecResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': 'v4.channel.k8s.io',
      },
      timeout: timeoutMs,
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`stream exec ${url}: no end within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      reject(new Error(`stream exec ${url}: HTTP ${res.statusCode}, no upgrade`));
    });
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      if (res.headers['sec-websocket-protocol'] !== 'v4.channel.k8s.io') {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`stream exec: protocol ${String(res.headers['sec-websocket-protocol'])} offered`));
        return;
      }
      const out: Record<number, Buffer[]> = { 1: [], 2: [], 3: [] };
      let buf = head;
      const take = () => {
        for (;;) {
          if (buf.length < 2) return;
          const opcode = buf[0]! & 0x0f;
          let len = buf[1]! & 0x7f;
          let off = 2;
          if (len === 126) {
            if (buf.length < 4) return;
            len = buf.readUInt16BE(2);
            off = 4;
          } else if (len === 127) {
            if (buf.length < 10) return;
            len = Number(buf.readBigUInt64BE(2));
            off = 10;
          }
          // a server's frames are never masked
          if (buf.length < off + len) return;
          const payload = buf.subarray(off, off + len);
          buf = buf.subarray(off + len);
          if (opcode === 0x8) socket.end();
          else if ((opcode === 0x2 || opcode === 0x0) && payload.length > 1) out[payload[0]!]?.push(payload.subarray(1));
        }
      };
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        take();
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        take();
        const text = (ch: number) => Buffer.concat(out[ch]!).toString('utf8');
        const statusText = text(3);
        let status: StreamExecResult['status'] & { details?: { causes?: Array<{ reason?: string; message?: string }> } } = {};
        try {
          status = statusText ? JSON.parse(statusText) : {};
        } catch {
          reject(new Error(`stream exec: status not JSON: ${statusText}`));
          return;
        }
        const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
        const exitCode = status.status === 'Success' ? 0 : cause ? Number(cause.message) : -1;
        resolve({ stdout: text(1), stderr: text(2), exitCode, status });
      });
      take();
    });
    req.end();
  });
}
