"""CDK constructs of the Lapor stack: one construct per concern, composed by ``LaporStack``."""
