/**
 * Merges the Server-Sent Event streams of several queue objects into one, frame by frame.
 * @module
 */

const encoder = new TextEncoder();

/**
 * One SSE response carrying every frame of `sources` (each a complete `…\n\n` frame, never a
 * torn one), after a single `ready` frame of its own. Closing the merged stream closes them all.
 */
export function mergeEventStreams(sources: Response[], ready: unknown): Response {
  const readers = sources.flatMap((r) => (r.body ? [r.body.getReader()] : []));
  let closed = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`event: ready\ndata: ${JSON.stringify(ready)}\n\n`));
      let open = readers.length;
      for (const reader of readers) {
        void (async () => {
          const decoder = new TextDecoder();
          let text = "";
          let first = true;
          try {
            for (;;) {
              const { value, done } = await reader.read();
              if (done || closed) break;
              text += decoder.decode(value, { stream: true });
              let end = text.indexOf("\n\n");
              while (end >= 0) {
                const frame = text.slice(0, end + 2);
                text = text.slice(end + 2);
                // Each source opens with its own `ready`; the merged stream has said it once.
                if (!(first && frame.startsWith("event: ready")))
                  controller.enqueue(encoder.encode(frame));
                first = false;
                end = text.indexOf("\n\n");
              }
            }
          } catch {
            // A source that fails ends; the others go on.
          } finally {
            open--;
            if (open === 0 && !closed) {
              closed = true;
              controller.close();
            }
          }
        })();
      }
    },
    cancel() {
      closed = true;
      for (const reader of readers) void reader.cancel().catch(() => {});
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    },
  });
}
