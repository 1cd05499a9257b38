"""Code shared by the tests: loopback servers, window steps, report checks."""
