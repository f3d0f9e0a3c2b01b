"""Drives the flag server through stubs generated from our IDL, as a Python service would.

Usage: polyglot.py <generated-stubs-dir> <port> <buffered-binary|framed-compact>
Prints one JSON object with what every call returned.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

from thrift.protocol import TBinaryProtocol, TCompactProtocol  # noqa: E402
from thrift.transport import TSocket, TTransport  # noqa: E402

from flipper_thrift.python.feature_flag_store import FeatureFlagStore  # noqa: E402
from flipper_thrift.python.feature_flag_store.ttypes import (  # noqa: E402
    ConditionCheck,
    ConditionOperator,
    ErrorCode,
    FeatureFlagStoreMeta,
    FlipperException,
)

port = int(sys.argv[2])
framed = sys.argv[3] == "framed-compact"
socket = TSocket.TSocket("127.0.0.1", port)
transport = TTransport.TFramedTransport(socket) if framed else TTransport.TBufferedTransport(socket)
protocol = TCompactProtocol.TCompactProtocol(transport) if framed else TBinaryProtocol.TBinaryProtocol(transport)
client = FeatureFlagStore.Client(protocol)
transport.open()
out = {}


def describe(item):
    # Reads every field without checking it is set, as the Python library does.
    return {
        "feature_name": item.feature_name,
        "is_enabled": item.is_enabled,
        "created_date": item.meta.created_date,
        "client_data": json.loads(item.meta.client_data),
        "conditions": [
            {
                variable: [
                    {"variable": c.variable, "value": json.loads(c.value), "symbol": c.operator.symbol}
                    for c in checks
                ]
                for variable, checks in condition.items()
            }
            for condition in item.meta.conditions
        ],
        "bucketer": json.loads(item.meta.bucketer),
    }


out["node_flag"] = describe(client.Get("node-flag"))

created = client.Create("py-flag", True, json.dumps({"owner": "python"}))
out["create"] = describe(created)
client.Set("py-flag", False)
out["after_set_false"] = client.Get("py-flag").is_enabled
client.Set("py-flag", True)

# What the Python library's ThriftRPCFeatureFlagStore sends: one Condition map per check,
# json.dumps of each value, an operator struct whose symbol is None for equality.
conditions = [
    {"age": [ConditionCheck(variable="age", value=json.dumps(18), operator=ConditionOperator(symbol="gte"))]},
    {"plan": [ConditionCheck(variable="plan", value=json.dumps(["pro", "team"]), operator=ConditionOperator(symbol="in"))]},
    {"is_admin": [ConditionCheck(variable="is_admin", value=json.dumps(True), operator=ConditionOperator(symbol=None))]},
]
bucketer = {
    "type": "ConsistentHashPercentageBucketer",
    "key_whitelist": ["user_id"],
    "percentage": {"type": "Percentage", "value": 0.5},
}
meta = FeatureFlagStoreMeta(
    created_date=created.meta.created_date,
    client_data=json.dumps({"owner": "python", "ticket": 42}),
    conditions=conditions,
    bucketer=json.dumps(bucketer),
)
client.SetMeta("py-flag", meta)
out["after_set_meta"] = describe(client.Get("py-flag"))

client.Create("py-other", False, None)  # client_data left out
out["list_all"] = [i.feature_name for i in client.List(None, None)]  # no limit, no offset
out["list_page"] = [i.feature_name for i in client.List(1, 1)]

for name, call in [("Get", lambda: client.Get("missing")), ("SetMeta", lambda: client.SetMeta("missing", meta))]:
    try:
        call()
        out[name + "_missing"] = "no error"
    except FlipperException as e:
        out[name + "_missing"] = {"code": e.code, "not_found": e.code == ErrorCode.NOT_FOUND}

try:
    client.Create("", True, "{}")
    out["empty_name"] = "no error"
except FlipperException as e:
    out["empty_name"] = {"code": e.code, "message": e.message}

client.Delete("py-other")
out["after_delete"] = [i.feature_name for i in client.List(None, None)]
transport.close()
print(json.dumps(out))
