"""Sends the flags that once poisoned the server, as a Python service would.

Usage: poisoned.py <generated-stubs-dir> <port>
Prints one JSON object with what every call answered.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.transport import TSocket, TTransport  # noqa: E402

from flipper_thrift.python.feature_flag_store import FeatureFlagStore  # noqa: E402
from flipper_thrift.python.feature_flag_store.ttypes import (  # noqa: E402
    ConditionCheck,
    ConditionOperator,
    FeatureFlagStoreMeta,
    FlipperException,
)

socket = TSocket.TSocket("127.0.0.1", int(sys.argv[2]))
transport = TTransport.TBufferedTransport(socket)
client = FeatureFlagStore.Client(TBinaryProtocol.TBinaryProtocol(transport))
transport.open()
out = {}
NAMES = ["hasOwnProperty", "constructor", "toString", "__proto__"]
conditions = [
    {name: [ConditionCheck(variable=name, value=json.dumps(i), operator=ConditionOperator(symbol=None))]}
    for i, name in enumerate(NAMES)
]


def attempt(key, call):
    try:
        call()
        out[key] = "ok"
    except FlipperException as e:
        out[key] = {"code": e.code, "message": e.message}


created = client.Create("poisoned", True, json.dumps({name: name for name in NAMES}))
for key, date in [("date_max", 2**63 - 1), ("date_min", -(2**63)), ("date_2_53", 2**53)]:
    meta = FeatureFlagStoreMeta(created_date=date, client_data=None, conditions=conditions, bucketer=None)
    attempt(key, lambda: client.SetMeta("poisoned", meta))
meta = FeatureFlagStoreMeta(created_date=created.meta.created_date, conditions=conditions)
attempt("set_meta", lambda: client.SetMeta("poisoned", meta))
item = client.Get("poisoned")
out["get"] = {
    "created_date": item.meta.created_date,
    "client_data": json.loads(item.meta.client_data),
    "conditions": [
        {variable: [[c.variable, json.loads(c.value)] for c in checks] for variable, checks in condition.items()}
        for condition in item.meta.conditions
    ],
}
out["list"] = [i.feature_name for i in client.List(None, None)]
transport.close()
print(json.dumps(out))
