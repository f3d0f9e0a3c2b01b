# The README's Python example: create, enable and check a flag through stubs generated from
# thrift/feature_flag_store.thrift (thrift --gen py -out gen-py thrift/feature_flag_store.thrift).
import json
import os

from thrift.protocol import TBinaryProtocol
from thrift.transport import TSocket, TTransport

from flipper_thrift.python.feature_flag_store import FeatureFlagStore

port = int(os.environ.get("FLIPPER_PORT", "9090"))
transport = TTransport.TBufferedTransport(TSocket.TSocket("127.0.0.1", port))
client = FeatureFlagStore.Client(TBinaryProtocol.TBinaryProtocol(transport))
transport.open()

client.Create("py-checkout", False, json.dumps({"owner": "payments"}))
client.Set("py-checkout", True)
print(client.Get("py-checkout").is_enabled)  # True

transport.close()
