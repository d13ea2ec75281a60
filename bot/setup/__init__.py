"""`beadle setup`: register the GitHub App through GitHub's manifest flow (design.md §8).

`manifest` builds what is posted and reads what comes back, `envfile` decides what `.env` becomes
(both pure but for `read_app_yml` and `write_atomic`); `github` exchanges the code; `server` is the
small localhost web page that ties them together.
"""
