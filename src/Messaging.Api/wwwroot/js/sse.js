// Server-Sent Events read with fetch() and a stream reader rather than EventSource: EventSource cannot send an
// Authorization header, and the token must not go into the URL. Shared by the live events and the build log.

/** Reads an event stream until it ends or `signal` aborts, calling onEvent({ id, type, data }) for each event. */
export async function readEvents(body, signal, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  while (!signal.aborted) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event) onEvent(event);
    }
  }
}

function parse(block) {
  let id = null, type = 'message', data = null;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue; // a comment: connected, keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') type = value;
    else if (field === 'data') data = data === null ? value : `${data}\n${value}`;
  }
  return id === null && data === null ? null : { id, type, data: data ?? '' };
}
