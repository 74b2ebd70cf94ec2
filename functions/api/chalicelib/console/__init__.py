"""The operators' web console (pt-BR): static files served by the API itself (`chalicelib.routes.console`).

`hls.min.js` is hls.js 1.7.4 from npm (`dist/hls.min.js`, Apache-2.0), vendored so the console makes no
request outside its own origin except to the presigned media URLs the API hands out.
"""
