"""A minimal ASGI peer that answers every POST like the platform's send method, as fast as uvicorn
can. Run in its own process so the client loop being measured has a core to itself."""

from __future__ import annotations

import itertools
import sys

_counter = itertools.count(1)


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    body = b'{"mtNum":"%d"}' % next(_counter)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
