import { assertEquals } from "../../assert.ts";
import { FailureEpisode } from "../../../src/master/failure_episode.ts";

Deno.test("FailureEpisode: the first failure and its recovery are said, not the retries", () => {
  let now = 0;
  const episode = new FailureEpisode({ now: () => now });
  assertEquals(episode.passed(), false, "no episode yet");
  assertEquals(episode.failed(), true);
  for (let i = 0; i < 30; i++) {
    now += 1000;
    assertEquals(episode.failed(), false);
  }
  assertEquals(episode.passed(), true);
  assertEquals(episode.passed(), false);
});

Deno.test("FailureEpisode: under steady pressure, one episode said per quietMs", () => {
  let now = 0;
  const episode = new FailureEpisode({ quietMs: 10_000, now: () => now });
  const said: string[] = [];
  // Fails and passes by turns, every 500 ms, for 25 s.
  for (; now < 25_000; now += 500) {
    if (episode.failed()) said.push(`failed at ${now}`);
    if (episode.passed()) said.push(`passed at ${now}`);
  }
  assertEquals(said, [
    "failed at 0",
    "passed at 0",
    "failed at 10000",
    "passed at 10000",
    "failed at 20000",
    "passed at 20000",
  ]);
});

Deno.test("FailureEpisode: an abandoned episode ends unsaid; the next failure opens a new one", () => {
  let now = 0;
  const episode = new FailureEpisode({ quietMs: 10_000, now: () => now });
  assertEquals(episode.failed(), true);
  episode.abandoned();
  now = 60_000;
  assertEquals(episode.failed(), true, "a new episode, said");
  episode.abandoned();
  assertEquals(episode.passed(), false, "nothing to recover from");
});
