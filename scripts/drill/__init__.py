"""The scale drill (`make drill-scale`): the product on more than one node, on loopback, bounded in time.
scripts/drill/stack.py starts the pieces, scripts/drill/run.py drives the drill and prints its figures."""
