"""What the scale drill proves, and its figures: a photo across the nodes, the load through the proxy with a
node and a worker killed, the broker drained, and the count of what was lost or doubled. Django is set up in
this process (scripts/drill/run.py's seed) with the set-up environment: straight to the primary."""

import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from scripts.drill.stack import ROOT, Stack

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
KILL_AT = 0.4  # of the run
KILL_WINDOW = 10.0  # seconds after the kill whose failed requests count as the kill's


def _png() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (96, 64))
    image.putdata([((x * 7) % 256, (y * 11) % 256, (x * y) % 256) for y in range(64) for x in range(96)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def photo_across_nodes(state: dict, nodes: list[int], stack: Stack, bucket: str, keys: tuple) -> dict:
    """A provider of the seeded medspa, signed in, uploads a before photo to one of their open charts
    through node 1 (its own port, as the proxy would send it: X-Forwarded-Proto https) and reads it back
    through node 2; the object must be in the bucket, encrypted at rest, with the bytes both nodes serve."""
    from django_scopes import scopes_disabled

    from providers.models import VisitPhoto

    provider = state["providers"][0]
    visit = provider["visits"][0]
    cookies = {state["session_cookie"]: provider["session"]}
    node1, node2 = (f"http://127.0.0.1:{port}" for port in nodes)
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.1"}

    def cookie_header(extra: dict | None = None) -> str:
        return "; ".join(f"{name}={value}" for name, value in {**cookies, **(extra or {})}.items())

    page = requests.get(f"{node1}/provider/visits/{visit}/", headers={**proxied, "Cookie": cookie_header()},
                        timeout=30, allow_redirects=False)  # fmt: skip
    problems = []
    if page.status_code != 200 or not CSRF.search(page.text):
        return {"verdict": f"the chart answered {page.status_code}", "figures": {},
                "problems": [f"photo: node 1 answered {page.status_code} for the chart"]}  # fmt: skip
    csrf_cookie = page.cookies.get(state["csrf_cookie"]) or ""
    origin = f"https://127.0.0.1:{nodes[0]}"
    sent = _png()
    upload = requests.post(
        f"{node1}/provider/visits/{visit}/photos/",
        headers={**proxied, "Cookie": cookie_header({state["csrf_cookie"]: csrf_cookie}), "Origin": origin,
                 "Referer": f"{origin}/provider/visits/{visit}/"},
        data={"csrfmiddlewaretoken": CSRF.search(page.text).group(1), "kind": "before", "caption": "drill"},
        files={"image": ("drill.png", sent, "image/png")}, timeout=30, allow_redirects=False,
    )  # fmt: skip
    with scopes_disabled():
        photo = VisitPhoto.objects.filter(visit_id=visit).order_by("-pk").first()
    if upload.status_code not in (200, 302, 303) or photo is None:
        return {"verdict": f"the upload answered {upload.status_code}", "figures": {},
                "problems": [f"photo: node 1 answered {upload.status_code} to the upload"]}  # fmt: skip
    served = requests.get(f"{node2}/provider/visits/{visit}/photos/{photo.pk}/",
                          headers={**proxied, "Cookie": cookie_header()}, timeout=30)  # fmt: skip
    client = stack.s3_client(f"http://127.0.0.1:{stack.ports['s3']}", keys)
    key = f"media/{photo.image.name}"
    head = client.head_object(Bucket=bucket, Key=key)
    stored = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    anonymous = requests.get(f"http://127.0.0.1:{stack.ports['s3']}/{bucket}/{key}", timeout=10).status_code
    same = served.status_code == 200 and served.content == stored
    encryption = head.get("ServerSideEncryption") or "none"
    if not same:
        problems.append(f"photo: node 2 answered {served.status_code}, not the stored bytes")
    if encryption == "none":
        problems.append("photo: the object is not encrypted at rest")
    verdict = (
        f"uploaded through node 1 ({len(sent):,} bytes sent, {len(stored):,} stored re-encoded as {key}), "
        f"node 2 served {'the same' if same else 'OTHER'} bytes; in the bucket with SSE {encryption}"
    )
    return {
        "verdict": verdict,
        "problems": problems,
        "figures": {
            "photo: node 1 upload → node 2 download": "same bytes" if same else "DIFFERENT",
            "photo: object in bucket, encryption": encryption,
            "photo: unsigned GET of the object (moto)": str(anonymous),
        },
    }


def load_with_kills(stack: Stack, args, state: dict, proxy: str, root_cert: Path, env: dict) -> dict:
    """locust against the proxy for args.seconds; at KILL_AT of the run, node 1 and worker 1 get SIGKILL."""
    from scripts.load import run as load_run

    folder = stack.folder / "load"
    folder.mkdir()
    paths = {name: folder / f"{name}.json" for name in ("state", "outcomes", "drill")}
    paths["state"].write_text(json.dumps(state))
    locust_env = {
        **env,
        "LOAD_STATE": str(paths["state"]),
        "LOAD_OUTCOMES": str(paths["outcomes"]),
        "DRILL_OUTCOMES": str(paths["drill"]),
        "DRILL_BOOKERS": str(args.bookers),
        "REQUESTS_CA_BUNDLE": str(root_cert),
    }
    users = args.users + args.bookers + 1  # and one EarningsReader: the pages the standby serves
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", proxy,
        "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{args.seconds}s",
        "--stop-timeout", "10", "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
        "Visitor", "FrontDesk", "Provider", "DrillBooker", "EarningsReader",
    ]  # fmt: skip
    print(f"locust: {args.users} users of the everyday mix, {args.bookers} API bookers and a provider "
          f"reading earnings (the standby's page) through {proxy} "
          f"for {args.seconds} s; node 1 and worker 1 get SIGKILL at {KILL_AT * args.seconds:.0f} s…",
          flush=True)  # fmt: skip
    with stack.log("locust").open("w") as output:
        locust = subprocess.Popen(command, cwd=ROOT, env=locust_env, stdout=output, stderr=subprocess.STDOUT,  # noqa: S603
                                  start_new_session=True)  # fmt: skip
        stack.processes["locust"] = locust
        started = time.time()
        time.sleep(KILL_AT * args.seconds)
        killed_at = time.time()
        stack.kill("node1")
        stack.kill("worker1")
        print(f"  killed node 1 and worker 1 (SIGKILL) {killed_at - started:.0f} s into the run", flush=True)
        locust.wait(timeout=args.seconds + 120)
    if not paths["outcomes"].exists() or not paths["drill"].exists():
        raise RuntimeError(f"locust wrote no results: see {stack.log('locust')}")
    outcomes = json.loads(paths["outcomes"].read_text())
    drill = json.loads(paths["drill"].read_text())
    requests_made, failures, server_errors = load_run.report(outcomes, [])
    load_run.status_lines(outcomes)
    every = [t for record in outcomes["endpoints"].values() for t in record["times"]]
    during = [at for at in drill["failures_at"] if killed_at <= at <= killed_at + KILL_WINDOW]
    outside = len(drill["failures_at"]) - len(during)
    seconds = max(outcomes.get("seconds", 0.0), 1e-9)
    bookings = drill["bookings"]
    retried = sum(1 for booking in bookings if booking["attempts"] > 1)
    problems = []
    if outside:
        problems.append(f"{outside} failed requests outside the {KILL_WINDOW:.0f} s after the kill")
    if not requests_made:
        problems.append("no request was made")
    figures = {
        "load: requests (all endpoints)": f"{requests_made:,}",
        "load: requests/s through the proxy": f"{requests_made / seconds:.1f}",
        "load: p50 / p95 (ms)": " / ".join(f"{load_run.percentile(every, q):.0f}" for q in (0.5, 0.95)),
        "load: failed requests, all / 5xx": f"{failures} / {server_errors}",
        f"load: failed within {KILL_WINDOW:.0f} s of the kill": str(len(during)),
        "load: failed outside the kill window": str(outside),
        "bookings: attempts retried with the same key": str(retried),
    }
    return {"figures": figures, "problems": problems, "outcomes": drill, "killed_at": killed_at}


def drain(stack: Stack, env: dict, limit: float, visibility_timeout: int) -> dict:
    """The surviving worker empties the broker. The killed worker's unacked messages come back once the
    visibility timeout has passed: their hand-out times are set back by that much (kombu's unacked_index)
    instead of waiting, and the surviving worker's periodic restore_visible gives them back to the queue."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(env["CELERY_BROKER_URL"])
    prefix = (getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}).get("global_keyprefix", "")
    names = (getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"), "unacked", "unacked_index")
    queue, unacked, index = (prefix + name for name in names)

    def set_back() -> int:
        held = client.zrange(index, 0, -1, withscores=True)
        for tag, delivered in held:
            client.zadd(index, {tag: delivered - visibility_timeout})
        return len(held)

    began, set_back_count, quiet_since, last_set_back = time.monotonic(), set_back(), None, time.monotonic()
    while time.monotonic() - began < limit:
        pending = client.llen(queue) + client.hlen(unacked)
        if pending == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 3:
                break
        else:
            quiet_since = None
            if client.llen(queue) == 0 and time.monotonic() - last_set_back > 15:
                set_back_count += set_back()  # a message handed out to the killed worker since
                last_set_back = time.monotonic()
        time.sleep(0.5)
    return {
        "broker: unacked messages set back past the visibility timeout": str(set_back_count),
        "broker: drained in (s)": f"{time.monotonic() - began:.1f}",
        "broker: left queued / unacked": f"{client.llen(queue)} / {client.hlen(unacked)}",
        "workers alive at the end": "worker2" if stack.processes["worker2"].poll() is None else "none",
    }


def count(env: dict, state: dict, drill: dict) -> dict:
    """Bookings the clients were told made against the rows, doubles, overlaps, and each booking's tasks."""
    from collections import Counter

    from django_scopes import scopes_disabled

    from gfe.models import GfeRequest
    from scheduling.models import Appointment, NotificationLog
    from scheduling.services.notifications import CHANNELS
    from scripts.load import checks

    bookings = drill["bookings"]
    told = {b["key"]: b["id"] for b in bookings if b["status"] in (200, 201)}
    taken = sum(1 for b in bookings if b["status"] == 409)
    unanswered = [b["key"] for b in bookings if b["status"] not in (200, 201, 409)]
    with scopes_disabled():
        rows = list(Appointment.objects.filter(idempotency_key__in=[b["key"] for b in bookings])
                    .values_list("idempotency_key", "pk", "patient_id", "created_at"))  # fmt: skip
        per_key = Counter(str(key) for key, *_ in rows)
        ids = {pk for _, pk, *_ in rows}
        confirmed = Counter(
            NotificationLog.objects.filter(appointment_id__in=ids, kind="confirmation").values_list(
                "appointment_id", flat=True
            )
        )
        first = min((created for *_, created in rows), default=None)
        gfe = Counter(
            GfeRequest.objects.filter(
                medspa_id=state["medspa_id"], source=GfeRequest.Source.BOOKING, created_at__gte=first
            ).values_list("patient_id", flat=True)
        ) if first else Counter()  # fmt: skip
    missing = [key for key, pk in told.items() if per_key.get(key, 0) == 0]
    wrong_id = [key for key, pk in told.items() if pk is not None and pk not in ids]
    doubled = [key for key, n in per_key.items() if n > 1]
    untold = [key for key in per_key if key not in told]
    overlaps = checks.double_bookings(state["medspa_id"])
    undecided = [pk for pk in ids if confirmed.get(pk, 0) < len(CHANNELS)]
    gfe_doubled = [patient for patient, n in gfe.items() if n > 1]
    problems = []
    for label, found in (
        ("bookings told made with no row", missing), ("bookings whose id differs", wrong_id),
        ("bookings doubled", doubled), ("overlapping bookings", overlaps),
        ("bookings without their confirmation decided", undecided),
        ("patients with more than one GFE request from the drill's bookings", gfe_doubled),
    ):  # fmt: skip
        if found:
            problems.append(f"{len(found)} {label}: {found[:5]}")
    if not told:
        problems.append("no booking was made")
    figures = {
        "bookings: told made (201/200) / rows": f"{len(told)} / {len(rows)}",
        "bookings: missing / doubled / overlapping": f"{len(missing)} / {len(doubled)} / {len(overlaps)}",
        "bookings: 409 taken / never answered": f"{taken} / {len(unanswered)}",
        "bookings: made though the client had no answer": str(len(untold)),
        "tasks: confirmation decided (email + SMS rows)": f"{len(ids) - len(undecided)} / {len(ids)}",
        "tasks: GFE requests from bookings, doubled": f"{sum(gfe.values())}, {len(gfe_doubled)}",
    }
    return {"figures": figures, "problems": problems}


def table(figures: dict) -> None:
    width = max(len(name) for name in figures)
    print("\nScale drill figures")
    print("-" * (width + 24))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    print("-" * (width + 24))
    print(f"Machine: {os.cpu_count()} cores, load average {'/'.join(f'{v:.1f}' for v in os.getloadavg())}.")
