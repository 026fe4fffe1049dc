"""`partia-ops`: what operations staff run against the broker and a service's database.

    partia-ops topics                    # topics, end offsets, consumer groups and their lag
    partia-ops tail TOPIC                # one readable line per event
    partia-ops republish --service registry --from 0
    partia-ops dlq list | dlq replay TOPIC.dlq

`kafka` and `relays` hold what the commands do (usable from code and tests); `cli` is the Typer
application and its output.
"""
