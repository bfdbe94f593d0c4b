"""Loads and saves template_svc's aggregates; the only place that knows its tables."""
from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from platform_kit import paging
from platform_kit.clock import utcnow
from template_svc.adapters.orm import (
    FormTemplateRow,
    MessageTemplateRow,
    ProductBinding,
    ProductProviders,
    TemplateRow,
    TemplateVersion,
)
from template_svc.domain.model import FormTemplate, Product, Template, Version


class TemplateRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, template_id: str, *, for_update: bool = False) -> Template | None:
        row = self.session.get(TemplateRow, template_id, with_for_update=for_update)
        if row is None:
            return None
        versions = self.session.execute(
            select(TemplateVersion).where(TemplateVersion.template_id == template_id).order_by(TemplateVersion.version)
        ).scalars()
        return Template(id=row.id, owner_id=row.owner_id, copied_from=row.copied_from, created_at=row.created_at,
                        versions=[Version(v.version, v.name, v.nodes, v.status, v.created_at, v.published_at,
                                          v.decided_at, v.decided_by, v.reason) for v in versions])

    def add(self, template: Template) -> None:
        self.session.add(TemplateRow(id=template.id, owner_id=template.owner_id, name=template.name,
                                     latest_status=template.latest.status, copied_from=template.copied_from))
        self.session.flush()
        self.save(template)

    def save(self, template: Template) -> None:
        row = self.session.get(TemplateRow, template.id)
        row.name, row.latest_status, row.updated_at = template.name, template.latest.status, utcnow()
        stored = {v.version: v for v in self.session.execute(
            select(TemplateVersion).where(TemplateVersion.template_id == template.id)).scalars()}
        for version in template.versions:
            v = stored.get(version.number)
            if v is None:
                v = TemplateVersion(template_id=template.id, version=version.number, owner_id=template.owner_id)
                self.session.add(v)
            v.name, v.nodes, v.status = version.name, version.nodes, version.status
            v.published_at, v.decided_at, v.decided_by, v.reason = (
                version.submitted_at, version.decided_at, version.decided_by, version.reason)
        self.session.flush()

    def list(self, *, org_id: str | None, name: str | None = None, owner: str | None = None,
             status: str | None = None, sort: str = "name", limit: int = 50,
             offset: int = 0) -> tuple[list[Template], int]:
        query = select(TemplateRow.id)
        if org_id is not None:
            query = query.where(or_(TemplateRow.owner_id.is_(None), TemplateRow.owner_id == org_id))
        if name:
            query = query.where(TemplateRow.name.ilike(paging.like_pattern(name)))
        if owner == "public":
            query = query.where(TemplateRow.owner_id.is_(None))
        elif owner == "own":
            query = query.where(TemplateRow.owner_id.is_not(None))
        if status:
            query = query.where(TemplateRow.latest_status == status)
        total = paging.total(self.session, query)
        order = paging.order_by({"name": TemplateRow.name, "created_at": TemplateRow.created_at,
                        "updated_at": TemplateRow.updated_at}, sort, TemplateRow.id)
        ids = self.session.execute(query.order_by(*order).limit(limit).offset(offset)).scalars().all()
        return [self.get(i) for i in ids], total


class FormRepository:
    def __init__(self, session: Session):
        self.session = session

    @staticmethod
    def _to_domain(row: FormTemplateRow) -> FormTemplate:
        return FormTemplate(id=row.id, name=row.name, description=row.description, fields=row.fields,
                            updated_at=row.updated_at)

    def get(self, form_id: str) -> FormTemplate | None:
        row = self.session.get(FormTemplateRow, form_id)
        return self._to_domain(row) if row else None

    def add(self, form: FormTemplate) -> None:
        self.session.add(FormTemplateRow(id=form.id, name=form.name, description=form.description,
                                         fields=form.fields, updated_at=form.updated_at))
        self.session.flush()

    def save(self, form: FormTemplate) -> None:
        row = self.session.get(FormTemplateRow, form.id, with_for_update=True)
        row.name, row.description, row.fields, row.updated_at = form.name, form.description, form.fields, utcnow()
        self.session.flush()

    def snapshots(self) -> dict[str, dict]:
        rows = self.session.execute(select(FormTemplateRow)).scalars()
        return {r.id: {"id": r.id, "name": r.name, "fields": r.fields} for r in rows}

    def list(self, *, name: str | None = None, sort: str = "name", limit: int = 50,
             offset: int = 0) -> tuple[list[FormTemplate], int]:
        query = select(FormTemplateRow)
        if name:
            query = query.where(FormTemplateRow.name.ilike(paging.like_pattern(name)))
        total = paging.total(self.session, query)
        order = paging.order_by({"name": FormTemplateRow.name, "updated_at": FormTemplateRow.updated_at}, sort,
                                FormTemplateRow.id)
        rows = self.session.execute(query.order_by(*order).limit(limit).offset(offset)).scalars()
        return [self._to_domain(r) for r in rows], total


class ProductRepository:
    def __init__(self, session: Session):
        self.session = session

    def _query(self):
        return select(ProductBinding, ProductProviders.provider_ids).outerjoin(
            ProductProviders, ProductProviders.product_id == ProductBinding.product_id)

    @staticmethod
    def _to_domain(row: ProductBinding, provider_ids) -> Product:
        return Product(product_id=row.product_id, vendor_id=row.vendor_id, code=row.product_code,
                       name=row.product_name, template_id=row.template_id, template_name=row.template_name,
                       template_version=row.template_version, provider_ids=list(provider_ids or []),
                       updated_at=row.updated_at)

    def get(self, product_id: str, *, for_update: bool = False) -> Product | None:
        query = self._query().where(ProductBinding.product_id == product_id)
        if for_update:
            query = query.with_for_update(of=ProductBinding)
        found = self.session.execute(query).first()
        return self._to_domain(*found) if found else None

    def add(self, product: Product) -> None:
        self.session.add(ProductBinding(product_id=product.product_id, vendor_id=product.vendor_id,
                                        product_code=product.code, product_name=product.name,
                                        template_id=product.template_id, template_name=product.template_name,
                                        template_version=product.template_version, updated_at=utcnow()))
        self.session.flush()

    def save(self, product: Product) -> None:
        row = self.session.get(ProductBinding, product.product_id)
        row.vendor_id, row.product_code, row.product_name = product.vendor_id, product.code, product.name
        row.template_id, row.template_name, row.template_version = (
            product.template_id, product.template_name, product.template_version)
        row.updated_at = utcnow()
        self.session.flush()

    def bound_to(self, template_id: str) -> list[Product]:
        """The template's products, locked: their version changes in this transaction."""
        rows = self.session.execute(self._query().where(ProductBinding.template_id == template_id)
                                    .order_by(ProductBinding.product_id).with_for_update(of=ProductBinding)).all()
        return [self._to_domain(*r) for r in rows]

    def set_providers(self, product_id: str, provider_ids: list[str]) -> None:
        if not provider_ids:
            self.session.execute(delete(ProductProviders).where(ProductProviders.product_id == product_id))
            return
        stmt = pg_insert(ProductProviders).values(product_id=product_id, provider_ids=provider_ids)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["product_id"], set_={"provider_ids": stmt.excluded.provider_ids, "updated_at": utcnow()}))

    def list(self, *, vendor_id: str | None, code: str | None = None, name: str | None = None,
             template_name: str | None = None, provider_status: str | None = None, sort: str = "code",
             limit: int = 50, offset: int = 0) -> tuple[list[Product], int]:
        query = self._query()
        if vendor_id is not None:
            query = query.where(ProductBinding.vendor_id == vendor_id)
        for column, value in ((ProductBinding.product_code, code), (ProductBinding.product_name, name),
                              (ProductBinding.template_name, template_name)):
            if value:
                query = query.where(column.ilike(paging.like_pattern(value)))
        if provider_status == "configured":
            query = query.where(ProductProviders.product_id.is_not(None))
        elif provider_status == "not_configured":
            query = query.where(ProductProviders.product_id.is_(None))
        total = paging.total(self.session, query)
        order = paging.order_by({"code": ProductBinding.product_code, "name": ProductBinding.product_name,
                                 "template_name": ProductBinding.template_name,
                                 "updated_at": ProductBinding.updated_at}, sort, ProductBinding.product_id)
        rows = self.session.execute(query.order_by(*order).limit(limit).offset(offset)).all()
        return [self._to_domain(*r) for r in rows], total


class MessageTemplateRepository:
    def __init__(self, session: Session):
        self.session = session

    def names(self) -> set[str]:
        return set(self.session.execute(
            select(MessageTemplateRow.name).where(MessageTemplateRow.deleted.is_(False))).scalars())

    def put(self, name: str, variables: list[str], channels: list[str], deleted: bool) -> None:
        stmt = pg_insert(MessageTemplateRow).values(name=name, variables=variables, channels=channels, deleted=deleted)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["name"], set_={"variables": stmt.excluded.variables, "channels": stmt.excluded.channels,
                                           "deleted": stmt.excluded.deleted, "updated_at": utcnow()}))
