"""A bounded load of kept-alive HTTP clients, in a process of its own (no eventlet), for the
SIGTERM tests: ``python load_client.py URL TOKEN CONCURRENCY STOP_FILE OUT_FILE``.

Each client reads ``URL`` in a loop on its own kept-alive connection until ``STOP_FILE`` exists
(or 300 s pass); the answered count is written to ``OUT_FILE.progress`` as it goes, and at the end
``OUT_FILE`` holds {"statuses": {...}, "cut": [...], "refused": n}. A request is *cut* when its
connection broke after it was sent; a refused connection (nobody listening) is not a request."""
import json
import os
import sys
import threading
import time
from collections import Counter

import requests


def main(url: str, token: str, concurrency: int, stop_file: str, out_file: str) -> None:
    statuses: Counter = Counter()
    cut: list[str] = []
    refused = [0]
    lock = threading.Lock()
    ends = time.monotonic() + 300

    def running() -> bool:
        return not os.path.exists(stop_file) and time.monotonic() < ends

    def client() -> None:
        with requests.Session() as session:
            while running():
                try:
                    answer = session.get(url, headers={"Authorization": f"Bearer {token}"}, params={"limit": 5},
                                         timeout=30)
                    with lock:
                        statuses[answer.status_code] += 1
                except requests.ConnectionError as exc:
                    if "refused" in str(exc).lower():
                        with lock:
                            refused[0] += 1
                        time.sleep(0.05)
                    else:
                        with lock:
                            cut.append(repr(exc)[:300])
                except requests.RequestException as exc:
                    with lock:
                        cut.append(repr(exc)[:300])

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        with open(out_file + ".progress", "w") as fh:
            fh.write(str(sum(statuses.values())))
        time.sleep(0.1)
    with open(out_file, "w") as fh:
        json.dump({"statuses": {str(k): v for k, v in statuses.items()}, "cut": cut, "refused": refused[0]}, fh)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
