"""The read path of one project (GET /projects/{id}): the project row with its log, participants,
records and files in one statement and without the ORM (no identity map, no instrumented objects).

It was six statements through the ORM, the busiest read of the platform (make bench). What it
returns is never saved back: changes load the aggregate through ``ProjectRepository.get``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from project_svc.adapters.repository import _FIELDS, project_from_row
from project_svc.domain.model import Project

_COLUMNS = ", ".join(f"p.{f}" for f in _FIELDS)
# timestamps inside json_build_object are ISO-8601 text with their offset (datetime.fromisoformat)
_ONE = text(f"""
select {_COLUMNS},
  (select coalesce(json_agg(json_build_object('at', l.at, 'action', l.action, 'node_key', l.node_key,
                                              'actor', l.actor, 'note', l.note, 'round', l.round) order by l.id),
                   '[]') from flow_log l where l.project_id = p.id) as log,
  (select coalesce(array_agg(pp.user_id), '{{}}') from project_participants pp where pp.project_id = p.id)
    as participants,
  (select coalesce(json_agg(json_build_object('id', r.id, 'kind', r.kind, 'author_id', r.author_id,
                                              'author_org_id', r.author_org_id, 'node_key', r.node_key,
                                              'body', r.body, 'at', r.at)
                            order by r.at, r.id), '[]')
     from project_records r where r.project_id = p.id) as records,
  (select coalesce(json_agg(json_build_object('id', f.id, 'project_id', f.project_id, 'node_key', f.node_key,
                                              'name', f.name, 'content_type', f.content_type, 'size', f.size,
                                              'sha256', f.sha256, 'storage_key', f.storage_key,
                                              'uploaded_by', f.uploaded_by, 'author_org_id', f.author_org_id,
                                              'at', f.at) order by f.at, f.id),
                   '[]') from project_files f where f.project_id = p.id) as files
from projects p where p.id = :project_id
""")  # noqa: S608 - the column names are the repository's constants, the id a bound parameter


@dataclass
class ProjectRead:
    """A project as the read path loads it: the aggregate (for reading only), its records and files."""

    project: Project
    records: list[dict]   # messages and notes, oldest first
    files: list[dict]


class ProjectReads:
    def __init__(self, session: Session):
        self.session = session

    def project(self, project_id: str) -> ProjectRead | None:
        row = self.session.execute(_ONE, {"project_id": project_id}).mappings().one_or_none()
        if row is None:
            return None
        project = project_from_row(row)
        records = [{**r, "at": datetime.fromisoformat(r["at"])} for r in row["records"]]
        files = [{**f, "at": datetime.fromisoformat(f["at"])} for f in row["files"]]
        return ProjectRead(project, records, files)
