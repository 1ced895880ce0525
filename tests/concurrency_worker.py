"""A separate process that ingests a stream of events (used by test_concurrency)."""

from __future__ import annotations

import json
import sys
import uuid

from plaudit.db import create_db_engine, create_session_factory, unit_of_work
from plaudit.events.schemas import EventIn
from plaudit.ingest import service as ingestion


def main() -> None:
    url, organization_id, path, batch_size = (
        sys.argv[1],
        uuid.UUID(sys.argv[2]),
        sys.argv[3],
        int(sys.argv[4]),
    )
    events = [EventIn.model_validate(item) for item in json.loads(open(path).read())]  # noqa: SIM115
    engine = create_db_engine(url)
    sessions = create_session_factory(engine)
    for start in range(0, len(events), batch_size):
        chunk = list(enumerate(events[start : start + batch_size]))
        with unit_of_work(sessions) as session:
            ingestion.ingest(session, organization_id=organization_id, items=chunk)
    engine.dispose()


if __name__ == "__main__":
    main()
