/**
 * Hello world that reads from the runtime everything Herd's default access
 * log line (`%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"`)
 * needs, and formats and writes nothing. Served by bare processes in
 * `deno task bench`, it is the floor under "Herd + access log": what Deno
 * charges to hand those request parts to JavaScript at all.
 *
 * @module
 */
/**
 * The atoms of Herd's default format that this app reads the parts of; a
 * unit test checks it against the default, so the floor follows the format.
 */
export const ATOMS_READ = ["h", "l", "u", "t", "r", "s", "b", "f", "a"] as const;

let kept = "";

export default {
  fetch(request: Request, info: Deno.ServeHandlerInfo): Response {
    const response = new Response("Hello, World!\n");
    const peer = info.remoteAddr as Deno.NetAddr;
    // %(h)s (the peer, and X-Forwarded-For from a trusted one), %(u)s, %(r)s, %(b)s, %(f)s, %(a)s;
    // %(l)s is a constant, %(t)s a per-second cache and %(s)s a field of the response.
    kept = peer.hostname + request.headers.get("x-forwarded-for") +
      request.headers.get("authorization") + request.method + request.url +
      response.headers.get("content-length") + request.headers.get("referer") +
      request.headers.get("user-agent");
    // Read, so the work above cannot be dropped as unused.
    return kept === "" ? new Response("") : response;
  },
};
