"""Lists every flag of the server with List(None, None), as the Python library's client asks for all.

Usage: list_all.py <generated-stubs-dir> <port>
Prints one JSON object: how many flags came back, the first and last names, and the seconds taken.
"""
import json
import sys
import time

sys.path.insert(0, sys.argv[1])

from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.transport import TSocket, TTransport  # noqa: E402

from flipper_thrift.python.feature_flag_store import FeatureFlagStore  # noqa: E402

socket = TSocket.TSocket("127.0.0.1", int(sys.argv[2]))
socket.setTimeout(60000)
transport = TTransport.TBufferedTransport(socket)
client = FeatureFlagStore.Client(TBinaryProtocol.TBinaryProtocol(transport))
transport.open()
started = time.monotonic()
items = client.List(None, None)
took = time.monotonic() - started
transport.close()
names = [item.feature_name for item in items]
print(json.dumps({"count": len(names), "first": names[0] if names else None, "last": names[-1] if names else None,
                  "sorted": names == sorted(names, key=lambda n: n.encode("utf-8")), "seconds": took}))
