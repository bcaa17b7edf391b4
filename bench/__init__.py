"""Panel's benchmark (docs/performance.md): `make bench`. Not part of `make test`."""
