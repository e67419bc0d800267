"""The local stack: the whole pipeline on one machine, on moto, with the real handlers."""
