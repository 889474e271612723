"""Seeds a running Zou for bench/server.sh: logs in, creates a project, an asset type, N assets
and a sequence through Zou's own REST API, and prints shell assignments for the benchmark
(ZOU_TOKEN, ZOU_PROJECT, ZOU_ASSET, ZOU_SEQUENCE). Standard library only.

    python bench/zou_seed.py --url http://127.0.0.1:5080 --email admin@example.com \
        --password ... --assets 100
"""

import argparse
import json
import urllib.request


def call(url, method="GET", body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--assets", type=int, default=100)
    args = parser.parse_args()
    base = args.url.rstrip("/")

    login = call(f"{base}/auth/login", "POST", {"email": args.email, "password": args.password})
    token = login["access_token"]
    project = call(f"{base}/data/projects", "POST", {"name": "bench"}, token)
    # `zou init-data` creates the default asset types (Character, Prop, ...): use Prop.
    types = call(f"{base}/data/asset-types", token=token)
    asset_type = next(t for t in types if t["name"] == "Prop")
    first = None
    for i in range(args.assets):
        asset = call(
            f"{base}/data/projects/{project['id']}/asset-types/{asset_type['id']}/assets/new",
            "POST",
            {"name": f"asset{i:04d}", "description": "bench asset"},
            token,
        )
        first = first or asset
    sequence = call(
        f"{base}/data/projects/{project['id']}/sequences", "POST", {"name": "SQ010"}, token
    )
    listed = call(f"{base}/data/projects/{project['id']}/assets", token=token)
    assert len(listed) == args.assets, f"Zou lists {len(listed)} assets, expected {args.assets}"
    print(f"ZOU_TOKEN={token}")
    print(f"ZOU_PROJECT={project['id']}")
    print(f"ZOU_ASSET={first['id']}")
    print(f"ZOU_SEQUENCE={sequence['id']}")


if __name__ == "__main__":
    main()
