// A tiny TCP program that runs inside a lab host (`ip netns exec … node
// peer.js`) for the lab's own test, and reports what happens to it as JSON
// lines on stdout:
//   peer.js echo PORT  listens on PORT, reports each connection and what it
//                      receives ({event: "got"}), and sends it back;
//   peer.js relay      takes commands on stdin, one JSON object a line:
//                      {cmd: "connect", id, host, port} and {cmd: "send", id, data},
//                      and reports connected, data, error (with its code) and close.
import { createServer, connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

const report = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

function echo(port: number): void {
  const server = createServer((socket) => {
    report({ event: 'accepted', from: socket.remoteAddress });
    socket.on('data', (chunk) => {
      report({ event: 'got', data: chunk.toString() });
      socket.write(chunk);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => report({ event: 'error', code: error.code }));
  });
  server.listen(port, '0.0.0.0', () => report({ event: 'listening', port }));
}

function relay(): void {
  const sockets = new Map<string, Socket>();
  createInterface({ input: process.stdin }).on('line', (line) => {
    const command = JSON.parse(line) as { cmd: string; id: string; host?: string; port?: number; data?: string };
    if (command.cmd === 'connect') {
      const socket = connect(command.port ?? 0, command.host ?? '');
      sockets.set(command.id, socket);
      socket.on('connect', () => report({ event: 'connected', id: command.id, local: socket.localAddress }));
      socket.on('data', (chunk) => report({ event: 'data', id: command.id, data: chunk.toString() }));
      socket.on('error', (error: NodeJS.ErrnoException) => report({ event: 'error', id: command.id, code: error.code }));
      socket.on('close', () => report({ event: 'close', id: command.id }));
    } else if (command.cmd === 'send') {
      sockets.get(command.id)?.write(command.data ?? '');
    }
  }).on('close', () => process.exit(0));
  report({ event: 'ready' });
}

const [mode, port] = process.argv.slice(2);
if (mode === 'echo') echo(Number(port));
else if (mode === 'relay') relay();
else throw new Error('usage: peer.js echo PORT | relay');
