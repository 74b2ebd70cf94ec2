"""The API function's HTTP app (chalice's `chalicelib` convention).

The route decorator, the proxy, the OpenAPI document, the routes and the console's static files: only
ApiFunction ships them; the domain layer imports no chalice.
"""
