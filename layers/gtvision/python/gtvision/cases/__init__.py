"""Cases: an incident or a request gathered under a number — items, legal holds, chain of custody, share links."""
