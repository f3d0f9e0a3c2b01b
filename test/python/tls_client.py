"""Drives the flag server over TLS with python3-thrift's TSSLSocket, as a Python service would.

Usage: tls_client.py <generated-stubs-dir> <port> <ca-file> <cert-file|-> <key-file|-> <drive|refused|read-only|plain>
  drive:     the six v1 methods (Create, Get, Set, List, SetMeta, Delete); prints what they returned.
  refused:   one Get; prints how it failed (the server refuses this client's certificate).
  read-only: Get and List, then each v1 write; prints the FlipperException code of each write.
  plain:     one Get in plain text (TSocket) to the TLS port; prints how it failed.
Prints one JSON object.
"""
import json
import ssl
import sys

sys.path.insert(0, sys.argv[1])

from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.transport import TSocket, TSSLSocket, TTransport  # noqa: E402

from flipper_thrift.python.feature_flag_store import FeatureFlagStore  # noqa: E402
from flipper_thrift.python.feature_flag_store.ttypes import FeatureFlagStoreMeta, FlipperException  # noqa: E402

port = int(sys.argv[2])
ca, cert, key, mode = sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
options = {"ca_certs": ca, "cert_reqs": ssl.CERT_REQUIRED}
if cert != "-":
    options.update(certfile=cert, keyfile=key)
if mode == "plain":
    socket = TSocket.TSocket("127.0.0.1", port)
else:
    socket = TSSLSocket.TSSLSocket("127.0.0.1", port, **options)
socket.setTimeout(5000)
transport = TTransport.TBufferedTransport(socket)
client = FeatureFlagStore.Client(TBinaryProtocol.TBinaryProtocol(transport))
out = {}

if mode in ("refused", "plain"):
    try:
        transport.open()
        client.Get("anything")
        out["refused"] = False
    except Exception as error:  # the handshake, or the first call, fails
        out["refused"] = True
        out["error"] = type(error).__name__
    print(json.dumps(out))
    sys.exit(0)

transport.open()
out["tls_version"] = socket.handle.version()

if mode == "drive":
    created = client.Create("py-tls", False, json.dumps({"owner": "python"}))
    out["created"] = {"name": created.feature_name, "enabled": created.is_enabled}
    client.Set("py-tls", True)
    out["after_set"] = client.Get("py-tls").is_enabled
    meta = FeatureFlagStoreMeta(
        created_date=created.meta.created_date,
        client_data=json.dumps({"owner": "python", "ticket": 7}),
        conditions=[],
        bucketer=json.dumps({"type": "NoOpBucketer"}),
    )
    client.SetMeta("py-tls", meta)
    out["after_meta"] = json.loads(client.Get("py-tls").meta.client_data)
    out["listed"] = [item.feature_name for item in client.List(None, None)]
    client.Delete("py-tls")
    try:
        client.Get("py-tls")
        out["after_delete"] = "still there"
    except FlipperException as error:
        out["after_delete"] = error.code
elif mode == "read-only":
    out["get"] = client.Get("existing").is_enabled
    out["list"] = [item.feature_name for item in client.List(None, None)]
    meta = FeatureFlagStoreMeta(created_date=1, client_data="{}", conditions=[], bucketer='{"type": "NoOpBucketer"}')
    calls = {
        "Create": lambda: client.Create("existing", False, "{}"),
        "Set": lambda: client.Set("existing", False),
        "SetMeta": lambda: client.SetMeta("existing", meta),
        "Delete": lambda: client.Delete("existing"),
    }
    out["writes"] = {}
    for name, call in calls.items():
        try:
            call()
            out["writes"][name] = "accepted"
        except FlipperException as error:
            out["writes"][name] = {"code": error.code, "message": error.message}
transport.close()
print(json.dumps(out))
