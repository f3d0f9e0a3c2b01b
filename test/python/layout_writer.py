"""Writes one flag the way the Python flipper-client's own stores do, knowing nothing of versions.

usage: layout_writer.py redis <redis-url> <base-key> <name> <true|false>
       layout_writer.py postgres <dsn> <table> <name> <true|false>

Redis: the JSON of FeatureFlagStoreItem.serialize() under "<base-key>/<name>" (RedisFeatureFlagStore).
PostgreSQL: the same JSON as bytea in the row of <table> (PostgreSQLFeatureFlagStore's upsert).
"""
import json
import sys
import time


def serialize(name, enabled):
    # FeatureFlagStoreItem.to_dict(): meta.to_dict() with a NoOpBucketer, as Python's create() stores.
    return json.dumps(
        {
            "feature_name": name,
            "is_enabled": enabled,
            "meta": {
                "client_data": {"written_by": "python"},
                "created_date": int(time.time()),
                "conditions": [],
                "bucketer": {"type": "NoOpBucketer"},
            },
        }
    )


def main():
    backend, target, base, name, enabled = sys.argv[1:6]
    item = serialize(name, enabled == "true")
    if backend == "redis":
        import redis

        redis.Redis.from_url(target).set(f"{base}/{name}", item)
    elif backend == "postgres":
        import psycopg2

        conn = psycopg2.connect(target)
        with conn, conn.cursor() as cur:
            cur.execute(
                f'INSERT INTO "{base}" (name, item) VALUES (%s, %s) '
                "ON CONFLICT (name) DO UPDATE SET item = EXCLUDED.item",
                (name, item.encode("utf-8")),
            )
        conn.close()
    else:
        raise SystemExit(f"unknown backend {backend}")


if __name__ == "__main__":
    main()
