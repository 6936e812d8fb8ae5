/**
 * The benchmark app: hello world, in the `deno serve` shape so every
 * variant (Herd, `deno serve --parallel`, bare `Deno.serve`) runs the same
 * code.
 *
 * @module
 */
export default {
  fetch(): Response {
    return new Response("Hello, World!\n");
  },
};
