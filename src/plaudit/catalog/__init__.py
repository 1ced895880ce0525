"""The built-in template catalog: ready-made badge designs an organisation can start from."""
