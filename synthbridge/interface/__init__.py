"""The interfaces: the synthbridge command line and the notebook widgets."""
