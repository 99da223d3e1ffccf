"""A deterministic synthetic estate: systems, datasets, fields and flows shaped like a company's.

The estate feeds benchmarks and demos, so it aims for a realistic *shape* rather than
realistic data. Systems sit in layers that data moves through:

``source`` (crm, web shop, erp, billing, ...) -> ``middleware`` (kafka-like brokers, an ESB)
-> ``service`` (order, shipping, inventory, ...) -> ``warehouse`` (staging, then marts)
-> ``consumer`` (BI dashboards and SaaS tools such as marketing automation).

Datasets have a heavy-tailed number of fields drawn from per-entity vocabularies, so fields
of related datasets share names and personal data (email, phone, ...) shows up where it
would. A downstream dataset draws from a few upstream ones by preferential attachment, so a
handful of upstream datasets feed many consumers. A small share of reverse flows (reverse ETL
into the crm, services enriching a source, services publishing to the broker) closes directed
cycles at system and dataset level.

Every source is one system: it asserts that system's nodes plus its *inbound* movement
(flows into its datasets and fields, the integrations feeding it and their issues), so edges
name nodes that other sources own. Those nodes are found by key, which is why keys are a
pure function of ``(fields, seed)``.

Generation is lazy: a small plan (systems, dataset names, sizes and lineage, no fields) is
built once; each source's records are derived from it on demand, regenerating an upstream
dataset's schema from its own random stream instead of keeping every field in memory.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple, TypeVar

from ingest.records import (
    Classification,
    Dataset,
    DatasetKind,
    Edge,
    EdgeKind,
    Field,
    FlowKind,
    Integration,
    Issue,
    Method,
    NodeKind,
    NodeRef,
    Provenance,
    Record,
    SourceInfo,
    Status,
    System,
    contains,
    dataset_key,
    field_key,
    flows_to,
    ref,
    system_key,
)

# Bump whenever the output for the same (fields, seed) changes, so a re-ingest reloads.
GENERATOR_VERSION = "1"
SYNTHETIC_KIND = "synthetic"  # the Source kind of every generated source

FIELDS_PER_SYSTEM = 1_000
MIN_SYSTEMS = 8
MIN_DATASET_FIELDS = 4
MAX_DATASET_FIELDS = 60
# Pareto shape below 1 gives a heavy tail: median ~10 fields, a few datasets near the cap.
DATASET_SIZE_SHAPE = 0.8
# Share of source-layer datasets that receive a reverse flow (reverse ETL, enrichment).
REVERSE_SHARE = 0.05
# Share of broker datasets that a service publishes into.
PUBLISH_SHARE = 0.12
# Chance that a dataset keeps each vocabulary column it has room for (the rest of its width
# is generic columns); personal columns are kept less often, which sets the PII share.
FIELD_INCLUSION = 0.85
PII_INCLUSION = 0.6
# Higher means a downstream system reads from more distinct upstream systems.
PARTNER_NOVELTY = 1.5

EXACT = Provenance(Method.INFERRED, 1.0)
BY_CATEGORY = Provenance(Method.INFERRED, 0.8)
BY_TYPE = Provenance(Method.INFERRED, 0.6)

LAYERS = ("source", "middleware", "service", "warehouse", "consumer")


# --------------------------------------------------------------------------- vocabulary


class _FieldSpec(NamedTuple):
    name: str
    type: str
    pii: str | None = None


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _vocabulary(text: str) -> dict[str, tuple[_FieldSpec, ...]]:
    """Parse ``entity:`` headers followed by indented ``name:type[:pii_category]`` tokens."""
    vocabulary: dict[str, list[_FieldSpec]] = {}
    entity = ""
    for line in text.strip().splitlines():
        if not line.startswith(" "):
            entity = line.rstrip(":")
            vocabulary[entity] = []
            continue
        for token in line.split():
            vocabulary[entity].append(_FieldSpec(*token.split(":")))
    return {name: tuple(specs) for name, specs in vocabulary.items()}


# Fields per business entity, most typical first: small datasets take the head of the list,
# which is what makes same-named fields line up between related datasets.
ENTITY_FIELDS = _vocabulary("""
customer:
    customer_id:int email:varchar:email first_name:varchar:name last_name:varchar:name
    segment:varchar country:varchar phone:varchar:phone loyalty_tier:varchar
    marketing_opt_in:boolean street:varchar:address postal_code:varchar:address city:varchar
    date_of_birth:date:date_of_birth preferred_language:varchar lifetime_value:decimal
    national_id:varchar:national_id
lead:
    lead_id:int email:varchar:email company:varchar score:int lead_source:varchar
    first_name:varchar:name last_name:varchar:name campaign_id:int converted_at:timestamp
    phone:varchar:phone country:varchar
order:
    order_id:int customer_id:int order_number:varchar order_date:timestamp amount:decimal
    currency:varchar channel:varchar sku:varchar quantity:int tax_amount:decimal
    discount_amount:decimal payment_method:varchar shipping_address:varchar:address
    store_id:int email:varchar:email coupon_code:varchar
product:
    product_id:int sku:varchar name:varchar category:varchar price:decimal brand:varchar
    cost:decimal is_active:boolean supplier_id:int ean:varchar weight:decimal
    description:varchar
payment:
    payment_id:int order_id:int amount:decimal currency:varchar payment_method:varchar
    authorized_at:timestamp customer_id:int card_last4:varchar:payment_card
    captured_at:timestamp provider_reference:varchar iban:varchar:bank_account
    billing_address:varchar:address
invoice:
    invoice_id:int customer_id:int invoice_number:varchar amount:decimal tax_amount:decimal
    currency:varchar due_date:date paid_at:timestamp billing_email:varchar:email
    vat_number:varchar billing_address:varchar:address
subscription:
    subscription_id:int customer_id:int plan:varchar mrr:decimal started_at:timestamp
    billing_cycle:varchar ended_at:timestamp auto_renew:boolean currency:varchar
shipment:
    shipment_id:int order_id:int carrier:varchar tracking_number:varchar
    shipped_at:timestamp recipient_name:varchar:name shipping_address:varchar:address
    delivered_at:timestamp postal_code:varchar:address country:varchar weight:decimal
    phone:varchar:phone
stock:
    sku:varchar warehouse_id:int quantity:int reserved_quantity:int reorder_level:int
    last_counted_at:timestamp bin_location:varchar product_id:int
supplier:
    supplier_id:int name:varchar country:varchar contact_email:varchar:email
    payment_terms:varchar contact_phone:varchar:phone vat_number:varchar
ticket:
    ticket_id:int customer_id:int subject:varchar priority:varchar channel:varchar
    opened_at:timestamp resolved_at:timestamp email:varchar:email
    assigned_agent:varchar:name satisfaction_score:int phone:varchar:phone
employee:
    employee_id:int first_name:varchar:name last_name:varchar:name email:varchar:email
    department:varchar job_title:varchar hire_date:date manager_id:int phone:varchar:phone
    date_of_birth:date:date_of_birth salary:decimal:salary home_address:varchar:address
    national_id:varchar:national_id iban:varchar:bank_account
event:
    event_id:int event_type:varchar occurred_at:timestamp session_id:varchar customer_id:int
    page_url:varchar ip_address:varchar:ip_address user_agent:varchar
    device_id:varchar:device_id referrer:varchar country:varchar
campaign:
    campaign_id:int name:varchar channel:varchar budget:decimal started_at:timestamp
    ended_at:timestamp impressions:int clicks:int conversions:int
""")

PLURALS = {entity: f"{entity}s" for entity in ENTITY_FIELDS} | {"stock": "stock_levels"}

# Columns after an entity's own: bookkeeping first, then the extra contact and audit
# columns that only wide tables reach.
SHARED_FIELDS = _vocabulary("""
common:
    created_at:timestamp updated_at:timestamp status:varchar is_deleted:boolean
    source_system:varchar version:int tenant_id:int
extended:
    external_id:varchar secondary_email:varchar:email region:varchar
    mobile_phone:varchar:phone notes:varchar last_login_ip:varchar:ip_address
    last_login_at:timestamp contact_name:varchar:name risk_score:int is_verified:boolean
    etl_batch_id:int gdpr_consent_at:timestamp
""")
COMMON_FIELDS = SHARED_FIELDS["common"] + SHARED_FIELDS["extended"]

# Wide tables end in generic columns; the type follows the stem.
FILLER_STEMS = (
    ("custom_field", "varchar"),
    ("attribute", "varchar"),
    ("metric", "decimal"),
    ("flag", "boolean"),
    ("ref_code", "varchar"),
    ("counter", "int"),
    ("note", "varchar"),
    ("event_ts", "timestamp"),
)

# Categories where one field stands in for another of a different name; an address part
# does not (a street never becomes a postal code).
CATEGORY_MATCHES = frozenset({"email", "phone", "name", "ip_address"})

RESTRICTED_PII = frozenset(
    {"national_id", "date_of_birth", "bank_account", "payment_card", "salary"}
)

# Columns a pipeline typically filters on, with the condition it applies.
FILTER_CONDITIONS = {
    "status": "WHERE status = 'active'",
    "is_deleted": "WHERE NOT is_deleted",
    "is_active": "WHERE is_active",
    "country": "WHERE country IN ('DE', 'AT', 'CH')",
    "marketing_opt_in": "WHERE marketing_opt_in",
    "created_at": "WHERE created_at >= CURRENT_DATE - INTERVAL '30 days'",
    "channel": "WHERE channel <> 'test'",
}

PII_TRANSFORMS = {
    "email": ("LOWER({0})", "TRIM(LOWER({0}))", "SHA256(LOWER({0}))"),
    "phone": ("normalize_e164({0})",),
    "name": ("INITCAP({0})", "TRIM({0})"),
    "address": ("UPPER({0})", "TRIM({0})"),
    "date_of_birth": ("CAST({0} AS DATE)",),
    "ip_address": ("anonymize_ip({0})",),
    "national_id": ("mask({0})",),
    "bank_account": ("mask_iban({0})",),
}

TYPE_TRANSFORMS = {
    "varchar": ("TRIM({0})", "UPPER({0})", "COALESCE({0}, 'unknown')"),
    "int": ("CAST({0} AS BIGINT)",),
    "decimal": ("ROUND({0}, 2)", "{0} * fx_rate"),
    "timestamp": ("CONVERT_TZ({0}, 'UTC', 'Europe/Berlin')", "DATE_TRUNC('day', {0})"),
    "date": ("CAST({0} AS DATE)",),
    "boolean": ("COALESCE({0}, false)",),
}

# Aggregations that derive a differently named downstream column from an upstream one.
DERIVATIONS = {
    "varchar": ("MAX({0})", "COALESCE({0}, '')"),
    "int": ("COUNT({0})", "MAX({0})", "SUM({0})"),
    "decimal": ("SUM({0})", "AVG({0})"),
    "timestamp": ("MAX({0})", "MIN({0})"),
    "date": ("MIN({0})",),
    "boolean": ("BOOL_OR({0})",),
}


# --------------------------------------------------------------------------- system templates


@dataclass(frozen=True)
class _Template:
    name: str
    kind: str
    team: str
    schema: str  # table schema, topic prefix or API version of the system's datasets
    table_prefix: str  # "stg_", "fct_", ...
    dataset_kinds: tuple[tuple[DatasetKind, float], ...]
    entities: tuple[str, ...]


DATASET_MIXES: dict[str, tuple[tuple[DatasetKind, float], ...]] = {
    "tables": ((DatasetKind.TABLE, 1.0),),
    "tables+api": ((DatasetKind.TABLE, 0.7), (DatasetKind.API_RESOURCE, 0.3)),
    "tables+views": ((DatasetKind.TABLE, 0.7), (DatasetKind.VIEW, 0.3)),
    "views": ((DatasetKind.VIEW, 1.0),),
    "api": ((DatasetKind.API_RESOURCE, 1.0),),
    "topics": ((DatasetKind.TOPIC, 1.0),),
    "files": ((DatasetKind.FILE, 1.0),),
}


def _templates(text: str) -> dict[str, tuple[_Template, ...]]:
    """Parse ``tier:`` headers followed by indented rows of
    ``name | kind | team | schema[.table_prefix] | dataset mix | entities`` (``-``: no
    schema, ``*``: every entity)."""
    tiers: dict[str, list[_Template]] = {}
    tier = ""
    for line in text.strip().splitlines():
        if not line.startswith(" "):
            tier = line.rstrip(":")
            tiers[tier] = []
            continue
        name, kind, team, naming, mix, entities = (cell.strip() for cell in line.split("|"))
        schema, _, prefix = naming.strip("-").partition(".")
        chosen = tuple(ENTITY_FIELDS) if entities == "*" else tuple(entities.split())
        tiers[tier].append(_Template(name, kind, team, schema, prefix, DATASET_MIXES[mix], chosen))
    return {name: tuple(templates) for name, templates in tiers.items()}


# Tiers refine layers: the warehouse layer has a staging tier and a mart tier. The first
# system of each template gets the plain name ("crm"), later ones a number ("crm-2").
TIER_TEMPLATES = _templates("""
source:
    crm | crm | Sales Ops | sales | tables+api | customer lead campaign
    web-shop | webshop | E-commerce | shop | tables+api | order customer product event
    erp | erp | Finance IT | erp | tables | product invoice supplier stock
    billing | billing | Finance IT | billing | tables | invoice payment subscription customer
    support-desk | helpdesk | Customer Care | support | api | ticket customer
    hr | hr | People Tech | hr | tables | employee
    pos | pos | Retail Tech | pos | tables | order payment product
    mobile-app | app-backend | Digital | app | tables | event customer order
middleware:
    kafka | broker | Platform | - | topics | order customer event payment shipment product stock
    esb | esb | Integration Team | queue | topics | order invoice customer product employee
service:
    order-service | service | Checkout | public | tables+api | order payment customer
    shipping-service | service | Logistics | public | tables+api | shipment order
    inventory-service | service | Logistics | public | tables+api | stock product
    payment-service | service | Payments | public | tables+api | payment invoice
    customer-service | service | Customer Platform | public | tables+api | customer lead event
    pricing-service | service | Commerce | public | tables+api | product campaign
    notification-service | service | Customer Platform | public | tables | customer event
    loyalty-service | service | Commerce | public | tables | customer order campaign
staging:
    dwh-staging | warehouse | Data Engineering | staging.stg_ | tables | *
    data-lake | data-lake | Data Engineering | raw | files | event order customer product ticket
mart:
    sales-mart | mart | Analytics | mart.fct_ | tables+views | order customer product
    customer-mart | mart | Analytics | mart.dim_ | tables+views | customer ticket event lead
    finance-mart | mart | Controlling | mart.fct_ | tables+views | invoice payment subscription
    supply-chain-mart | mart | Analytics | mart.fct_ | tables | stock shipment supplier
    people-mart | mart | People Analytics | mart.dim_ | tables | employee
consumer:
    dashboards | bi | Analytics | dashboard | views | order customer invoice product
    marketing-automation | saas | Marketing Ops | v1 | api | customer lead campaign event
    finance-reporting | bi | Finance Analytics | report | views | invoice payment subscription
    customer-success | saas | Customer Care | v2 | api | customer ticket
    ml-feature-store | ml-platform | Data Science | features | tables | customer event order
    email-marketing | saas | Marketing Ops | v3 | api | customer campaign
""")

TIERS = tuple(TIER_TEMPLATES)
TIER_LAYER = {
    "source": "source",
    "middleware": "middleware",
    "service": "service",
    "staging": "warehouse",
    "mart": "warehouse",
    "consumer": "consumer",
}
# Share of systems per tier; every tier gets at least one system.
TIER_SHARE = {
    "source": 0.20,
    "middleware": 0.08,
    "service": 0.30,
    "staging": 0.10,
    "mart": 0.14,
    "consumer": 0.18,
}
# Relative field budget per system: staging copies a lot, BI tools hold little.
TIER_WEIGHT = {
    "source": 1.2,
    "middleware": 0.8,
    "service": 0.9,
    "staging": 1.6,
    "mart": 1.0,
    "consumer": 0.6,
}
# Where a dataset of each tier draws its data from, in the forward direction.
UPSTREAM_TIERS: dict[str, tuple[tuple[str, float], ...]] = {
    "middleware": (("source", 1.0),),
    "service": (("middleware", 0.55), ("source", 0.3), ("service", 0.15)),
    "staging": (("source", 0.45), ("middleware", 0.3), ("service", 0.25)),
    "mart": (("staging", 0.85), ("mart", 0.15)),
    "consumer": (("mart", 0.75), ("service", 0.15), ("staging", 0.1)),
}
CRITICALITY = {
    "source": (0.5, 0.4, 0.1),
    "middleware": (0.8, 0.2, 0.0),
    "service": (0.5, 0.4, 0.1),
    "staging": (0.3, 0.5, 0.2),
    "mart": (0.2, 0.5, 0.3),
    "consumer": (0.1, 0.4, 0.5),
}
# Names of the second, third, ... dataset of one entity in one system.
SUFFIXES = (
    "",
    *_words(
        "_history _archive _daily _audit _snapshot _eu _us _clean _by_channel _weekly"
        " _by_region _latest _monthly _raw _ext _v2"
    ),
)
TOPIC_VARIANTS = ("events", "changes", "cdc", "snapshots", "retry", "dlq")

FIRST_NAMES = _words(
    "anna ben chloe david elena farid greta hugo ines jonas kim lena marco nora omar paula"
    " rui sofia"
)
LAST_NAMES = _words(
    "alvarez becker chen dubois eriksen fischer garcia hansen ivanova jensen kowalski larsen"
    " meyer novak okafor patel"
)

ISSUE_TITLES = {
    Status.RED: (
        "Job fails after upstream schema change",
        "Records dropped when the target is unavailable",
        "Credentials expired; feed stopped",
        "Duplicates in target after replay",
    ),
    Status.YELLOW: (
        "Runs late several times a week",
        "No alerting on failed runs",
        "Nobody knows who owns the credentials",
        "Certificate expires within 30 days",
    ),
}
ISSUE_STATUSES = (("open", 0.6), ("in progress", 0.25), ("accepted risk", 0.15))


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class _SystemPlan:
    index: int
    name: str
    key: str
    tier: str
    template: _Template
    datasets: range  # global dataset ids


@dataclass
class _Plan:
    """Everything shared between sources, kept small: nothing here grows with fields except
    a few numbers per dataset."""

    fields: int
    seed: int
    salt: str
    systems: list[_SystemPlan]
    ds_system: list[int]
    ds_size: list[int]
    ds_entity: list[str]
    ds_kind: list[DatasetKind]
    ds_name: list[str]
    upstreams: list[list[int]]
    inbound_systems: list[tuple[int, ...]]  # per system, upstream systems in first-seen order

    def dataset_key(self, d: int) -> str:
        return dataset_key(self.systems[self.ds_system[d]].key, self.ds_name[d])

    def tier_of(self, d: int) -> str:
        return self.systems[self.ds_system[d]].tier


def _rng(*parts: object) -> random.Random:
    # String seeds are hashed with sha512, so streams do not depend on PYTHONHASHSEED.
    return random.Random("/".join(str(part) for part in parts))


_T = TypeVar("_T")


def _weighted(rng: random.Random, options: Sequence[tuple[_T, float]]) -> _T:
    total = sum(weight for _, weight in options)
    point = rng.random() * total
    for value, weight in options:
        point -= weight
        if point < 0:
            return value
    return options[-1][0]


def _build_plan(fields: int, seed: int) -> _Plan:
    salt = f"flowatlas-synthetic/{GENERATOR_VERSION}/{seed}/{fields}"
    rng = _rng(salt, "plan")
    systems_by_tier = _plan_system_tiers(fields)
    budgets = _split_exactly(
        fields,
        [TIER_WEIGHT[tier] * rng.lognormvariate(0.0, 0.5) for tier in systems_by_tier],
    )
    plan = _Plan(fields, seed, salt, [], [], [], [], [], [], [], [])
    counters: dict[str, int] = {}
    for index, (tier, budget) in enumerate(zip(systems_by_tier, budgets, strict=True)):
        _plan_system(plan, rng, index, tier, budget, counters)
    _plan_forward_flows(plan, rng)
    _plan_reverse_flows(plan, rng)
    plan.inbound_systems = _inbound_systems(plan)
    return plan


def _plan_system_tiers(fields: int) -> list[str]:
    count = max(MIN_SYSTEMS, round(fields / FIELDS_PER_SYSTEM))
    spare = count - len(TIERS)
    extra = _split_exactly(spare, [TIER_SHARE[tier] for tier in TIERS])
    return [tier for tier, n in zip(TIERS, extra, strict=True) for _ in range(1 + n)]


def _split_exactly(total: int, weights: Sequence[float]) -> list[int]:
    """Integers proportional to ``weights`` that sum to ``total`` (largest remainder)."""
    scale = sum(weights)
    shares = [total * weight / scale for weight in weights]
    counts = [math.floor(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _plan_system(
    plan: _Plan, rng: random.Random, index: int, tier: str, budget: int, counters: dict[str, int]
) -> None:
    templates = TIER_TEMPLATES[tier]
    seen = counters.get(tier, 0)
    counters[tier] = seen + 1
    template = templates[seen % len(templates)]
    round_ = seen // len(templates)
    # The first system of each template keeps the plain name: "crm", then "crm-2", ...
    name = template.name if round_ == 0 else f"{template.name}-{round_ + 1}"
    first = len(plan.ds_size)
    names_used: dict[str, int] = {}
    for size in _dataset_sizes(rng, budget):
        entity = _weighted(rng, [(e, 1 / (i + 1)) for i, e in enumerate(template.entities)])
        kind = _weighted(rng, template.dataset_kinds)
        plan.ds_system.append(index)
        plan.ds_size.append(size)
        plan.ds_entity.append(entity)
        plan.ds_kind.append(kind)
        plan.ds_name.append(_dataset_name(template, kind, entity, names_used))
        plan.upstreams.append([])
    datasets = range(first, len(plan.ds_size))
    plan.systems.append(_SystemPlan(index, name, system_key(name), tier, template, datasets))


def _dataset_sizes(rng: random.Random, budget: int) -> Iterator[int]:
    remaining = budget
    while remaining > 0:
        size = _truncated_pareto(rng)
        # Never leave a remainder too small for a dataset: the total must come out exact.
        if remaining - size < MIN_DATASET_FIELDS:
            size = remaining if remaining <= MAX_DATASET_FIELDS else remaining - MIN_DATASET_FIELDS
        remaining -= size
        yield size


def _truncated_pareto(rng: random.Random) -> int:
    # Redraw rather than clip, so the tail thins out instead of piling up at the cap.
    while True:
        tail = (1 - rng.random()) ** (1 / DATASET_SIZE_SHAPE)
        size = int(MIN_DATASET_FIELDS / tail)
        if size <= MAX_DATASET_FIELDS:
            return size


def _dataset_name(
    template: _Template, kind: DatasetKind, entity: str, names_used: dict[str, int]
) -> str:
    plural = PLURALS[entity]
    base = {
        DatasetKind.TOPIC: f"{template.schema}.{entity}" if template.schema else entity,
        DatasetKind.FILE: f"{template.schema}/{plural}",
        DatasetKind.API_RESOURCE: f"{template.schema or 'api'}/{plural}",
    }.get(kind, f"{template.schema}.{template.table_prefix}{plural}")
    n = names_used.get(base, 0)
    names_used[base] = n + 1
    if kind is DatasetKind.TOPIC:
        variant = TOPIC_VARIANTS[n % len(TOPIC_VARIANTS)]
        round_ = n // len(TOPIC_VARIANTS)
        return f"{base}.{variant}" + (f".v{round_ + 1}" if round_ else "")
    suffix = SUFFIXES[n] if n < len(SUFFIXES) else f"_{n}"
    if kind is DatasetKind.FILE:
        return f"{base}{suffix}.parquet"
    return f"{base}{suffix}"


class _Urns:
    """Preferential attachment: a dataset is entered once when it appears and once more each
    time it is picked, so a uniform draw favours datasets that already feed many others."""

    def __init__(self) -> None:
        self.by_tier: dict[str, list[int]] = {}
        self.by_entity: dict[tuple[str, str], list[int]] = {}

    def enter(self, plan: _Plan, d: int) -> None:
        tier = plan.tier_of(d)
        self.by_tier.setdefault(tier, []).append(d)
        self.by_entity.setdefault((tier, plan.ds_entity[d]), []).append(d)

    def draw(
        self,
        plan: _Plan,
        rng: random.Random,
        tier: str,
        entity: str | None,
        avoid: int,
        taken: Sequence[int],
    ) -> int | None:
        pool = self.by_entity.get((tier, entity)) if entity else None
        pool = pool or self.by_tier.get(tier)
        if not pool:
            return None
        for _ in range(4):
            d = rng.choice(pool)
            if plan.ds_system[d] != avoid and d not in taken:
                return d
        return None


class _Partners:
    """The upstream systems one downstream system already reads from. Real systems reuse a
    few connections rather than touching every system upstream, so most picks stay among
    partners and a new partner is taken with a probability that shrinks as picks accumulate
    (a Chinese restaurant process)."""

    def __init__(self, system: int) -> None:
        self.system = system
        self.systems: set[int] = set()
        self.urns = _Urns()
        self.picks = 0

    def pick(
        self,
        plan: _Plan,
        rng: random.Random,
        global_urns: _Urns,
        tier: str,
        entity: str | None,
        taken: Sequence[int],
    ) -> int | None:
        novelty = PARTNER_NOVELTY / (PARTNER_NOVELTY + self.picks)
        up = None
        if rng.random() >= novelty:
            up = self.urns.draw(plan, rng, tier, entity, self.system, taken)
        if up is None:
            up = global_urns.draw(plan, rng, tier, entity, self.system, taken)
            if up is not None:
                self._add_partner(plan, plan.ds_system[up])
        if up is not None:
            self.picks += 1
            self.urns.enter(plan, up)
            global_urns.enter(plan, up)
        return up

    def _add_partner(self, plan: _Plan, system: int) -> None:
        if system not in self.systems:
            self.systems.add(system)
            for d in plan.systems[system].datasets:
                self.urns.enter(plan, d)


def _fan_in(rng: random.Random) -> int:
    return _weighted(rng, ((1, 0.55), (2, 0.25), (3, 0.12), (4, 0.05), (5, 0.03)))


def _plan_forward_flows(plan: _Plan, rng: random.Random) -> None:
    # Datasets are numbered in tier order and may only pick already-entered ones, so the
    # forward graph is acyclic; cycles come only from the reverse flows planned afterwards.
    # A partner found that way has a lower index, so all of its datasets are older too.
    urns = _Urns()
    for system in plan.systems:
        partners = _Partners(system.index)
        for d in system.datasets:
            if system.tier in UPSTREAM_TIERS:
                plan.upstreams[d] = _pick_upstreams(plan, rng, urns, partners, d)
            urns.enter(plan, d)


def _pick_upstreams(
    plan: _Plan, rng: random.Random, urns: _Urns, partners: _Partners, d: int
) -> list[int]:
    options = UPSTREAM_TIERS[plan.tier_of(d)]
    chosen: list[int] = []
    for i in range(_fan_in(rng)):
        # The main input shares the dataset's entity; joined inputs often do not.
        entity = plan.ds_entity[d] if i == 0 or rng.random() < 0.5 else None
        up = partners.pick(plan, rng, urns, _weighted(rng, options), entity, chosen)
        if up is not None:
            chosen.append(up)
    for fallback, _ in options if not chosen else ():
        up = partners.pick(plan, rng, urns, fallback, None, chosen)
        if up is not None:
            chosen.append(up)
            break
    return chosen


def _plan_reverse_flows(plan: _Plan, rng: random.Random) -> None:
    children: list[list[int]] = [[] for _ in plan.ds_size]
    for d, ups in enumerate(plan.upstreams):
        for up in ups:
            children[up].append(d)
    _plan_reverse_etl(plan, rng, children)
    _plan_publishing(plan, rng)


def _plan_reverse_etl(plan: _Plan, rng: random.Random, children: list[list[int]]) -> None:
    """Send data back into source systems from something derived from them, so each such
    flow closes a directed cycle at dataset level and therefore at system level too."""
    sources = [d for d in range(len(plan.ds_size)) if plan.tier_of(d) == "source"]
    candidates = [d for d in sources if children[d]]
    rng.shuffle(candidates)
    quota = max(1, round(REVERSE_SHARE * len(sources)))
    for d in candidates:
        if quota == 0:
            break
        back = _walk_downstream(plan, rng, children, d)
        if back is not None:
            plan.upstreams[d].append(back)
            quota -= 1


def _walk_downstream(
    plan: _Plan, rng: random.Random, children: list[list[int]], start: int
) -> int | None:
    found = None
    node = start
    for _ in range(6):
        if not children[node]:
            break
        node = rng.choice(children[node])
        if plan.tier_of(node) in ("service", "mart", "consumer"):
            found = node
            if rng.random() < 0.5:
                break
    return found


def _plan_publishing(plan: _Plan, rng: random.Random) -> None:
    urns = _Urns()
    brokers = []
    for d in range(len(plan.ds_size)):
        tier = plan.tier_of(d)
        if tier == "service":
            urns.enter(plan, d)
        elif tier == "middleware":
            brokers.append(d)
    for d in brokers:
        if rng.random() < PUBLISH_SHARE:
            up = urns.draw(plan, rng, "service", plan.ds_entity[d], -1, plan.upstreams[d])
            if up is not None:
                plan.upstreams[d].append(up)
                urns.enter(plan, up)


def _inbound_systems(plan: _Plan) -> list[tuple[int, ...]]:
    inbound: list[dict[int, None]] = [{} for _ in plan.systems]
    for d, ups in enumerate(plan.upstreams):
        target = inbound[plan.ds_system[d]]
        for up in ups:
            target.setdefault(plan.ds_system[up], None)
    return [tuple(systems) for systems in inbound]


# --------------------------------------------------------------------------- schemas


class _Column(NamedTuple):
    name: str
    type: str
    pii: str | None
    classification: Classification | None
    generic: bool = False  # a filler column, free to be derived from anything of its type


def _schema(plan: _Plan, d: int) -> tuple[_Column, ...]:
    """A dataset's fields: a pure function of the plan and the dataset id, so any source can
    regenerate an upstream dataset's fields instead of keeping them."""
    rng = _rng(plan.salt, "dataset", d)
    size = plan.ds_size[d]
    specs: list[_FieldSpec] = [_FieldSpec("id", "int")]
    for spec in ENTITY_FIELDS[plan.ds_entity[d]] + COMMON_FIELDS:
        if len(specs) >= size:
            break
        if rng.random() < (PII_INCLUSION if spec.pii else FIELD_INCLUSION):
            specs.append(spec)
    columns = [_column(rng, spec) for spec in specs]
    for spec in _fillers(rng, size - len(columns)):
        columns.append(_column(rng, spec)._replace(generic=True))
    return tuple(columns)


def _fillers(rng: random.Random, count: int) -> Iterator[_FieldSpec]:
    numbers: dict[str, int] = {}
    for _ in range(count):
        stem, type_ = FILLER_STEMS[rng.randrange(len(FILLER_STEMS))]
        n = numbers.get(stem, 0) + 1
        numbers[stem] = n
        yield _FieldSpec(f"{stem}_{n:02d}", type_)


def _column(rng: random.Random, spec: _FieldSpec) -> _Column:
    if spec.pii:
        restricted = spec.pii in RESTRICTED_PII
        level = Classification.RESTRICTED if restricted else Classification.CONFIDENTIAL
    else:
        # Non-personal fields are labelled unevenly, as in a real catalogue.
        draw = rng.random()
        level = (
            Classification.INTERNAL
            if draw < 0.65
            else None
            if draw < 0.9
            else Classification.PUBLIC
        )
    return _Column(spec.name, spec.type, spec.pii, level)


# --------------------------------------------------------------------------- field lineage


class _FieldFlow(NamedTuple):
    upstream: str
    downstream: str
    flow_kind: FlowKind
    transform: str | None
    provenance: Provenance


def _field_flows(
    rng: random.Random,
    up: tuple[_Column, ...],
    down: tuple[_Column, ...],
    primary: bool,
    transform_rate: float,
) -> list[_FieldFlow]:
    """How fields of one upstream dataset feed one downstream dataset: same names first,
    personal data only into personal data of the same category, a few type-based derivations,
    and filter flows for the columns the pipeline selects or joins on."""
    up_by_name = {column.name: column for column in up}
    flows: list[_FieldFlow] = []
    for column in down:
        source = up_by_name.get(column.name)
        # "id" of a joined input is a join key, not the downstream row's identity.
        if source is not None and (primary or column.name != "id"):
            transform = _transform(rng, source) if rng.random() < transform_rate else None
            flows.append(_FieldFlow(source.name, column.name, FlowKind.VALUE, transform, EXACT))
        elif source is None and column.name != "id":
            flows.extend(_derived_flows(rng, up, column))
    flows.extend(_filter_flows(rng, up, down, primary))
    return flows


def _transform(rng: random.Random, column: _Column) -> str:
    options = PII_TRANSFORMS.get(column.pii or "") or TYPE_TRANSFORMS[column.type]
    return rng.choice(options).format(column.name)


def _derived_flows(
    rng: random.Random, up: tuple[_Column, ...], column: _Column
) -> list[_FieldFlow]:
    if column.pii:
        return _personal_flows(rng, up, column)
    if not column.generic or rng.random() >= 0.3:
        return []
    # Never derive a non-personal field from personal data: that would hide PII lineage.
    same_type = [c for c in up if c.type == column.type and not c.pii and c.name != "id"]
    if not same_type:
        return []
    source = rng.choice(same_type)
    transform = rng.choice(DERIVATIONS[column.type]).format(source.name)
    return [_FieldFlow(source.name, column.name, FlowKind.VALUE, transform, BY_TYPE)]


def _personal_flows(
    rng: random.Random, up: tuple[_Column, ...], column: _Column
) -> list[_FieldFlow]:
    """Personal data reaches a differently named field of the same category: a billing
    email from an email, a contact name from first and last name."""
    if column.pii not in CATEGORY_MATCHES or rng.random() >= 0.6:
        return []
    names = {c.name for c in up}
    if column.pii == "name" and {"first_name", "last_name"} <= names:
        concat = "CONCAT(first_name, ' ', last_name)"
        return [
            _FieldFlow(part, column.name, FlowKind.VALUE, concat, BY_CATEGORY)
            for part in ("first_name", "last_name")
        ]
    same = [c for c in up if c.pii == column.pii]
    if not same:
        return []
    return [_FieldFlow(rng.choice(same).name, column.name, FlowKind.VALUE, None, BY_CATEGORY)]


def _filter_flows(
    rng: random.Random, up: tuple[_Column, ...], down: tuple[_Column, ...], primary: bool
) -> list[_FieldFlow]:
    target = down[0].name
    flows = []
    if not primary:
        keys = [c.name for c in up if c.name.endswith("_id")] or [up[0].name]
        key = keys[0]
        flows.append(_FieldFlow(key, target, FlowKind.FILTER, f"JOIN ON {key}", EXACT))
    if rng.random() < 0.25:
        names = [c.name for c in up if c.name in FILTER_CONDITIONS]
        if names:
            name = rng.choice(names)
            flow = _FieldFlow(name, target, FlowKind.FILTER, FILTER_CONDITIONS[name], EXACT)
            if all(f.upstream != name for f in flows):
                flows.append(flow)
    return flows


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class SyntheticSource:
    """One system of the synthetic estate, as a source the loader can ingest."""

    info: SourceInfo
    records: Callable[[], Iterator[Record]]


def synthetic_estate(fields: int, seed: int = 7) -> Iterator[SyntheticSource]:
    """Yield the sources of an estate holding exactly ``fields`` fields, one per system,
    upstream layers first. Same arguments, same output, byte for byte."""
    if fields < 0:
        raise ValueError(f"fields must be >= 0, not {fields}")
    plan = _build_plan(fields, seed)
    for system in plan.systems:
        key = f"synthetic://seed-{seed}/fields-{fields}/{system.key}"
        info = SourceInfo(
            key=key, kind=SYNTHETIC_KIND, uri=key, content_hash=_content_hash(fields, seed, system)
        )
        yield SyntheticSource(info, partial(_source_records, plan, system.index))


def _content_hash(fields: int, seed: int, system: _SystemPlan) -> str:
    text = f"{GENERATOR_VERSION}|{fields}|{seed}|{system.index}|{system.name}"
    return hashlib.sha256(text.encode()).hexdigest()


def _source_records(plan: _Plan, index: int) -> Iterator[Record]:
    system = plan.systems[index]
    schemas = {d: _schema(plan, d) for d in system.datasets}
    holds_pii = any(column.pii for schema in schemas.values() for column in schema)
    system_record = _system_record(plan, system, holds_pii)
    yield system_record
    for d, schema in schemas.items():
        yield from _dataset_records(plan, system_record, d, schema)
    pairs: dict[int, _Pair] = {}
    yield from _inbound_flows(plan, system, schemas, pairs)
    for upstream in plan.inbound_systems[index]:
        yield from _integration_records(plan, upstream, index, pairs[upstream])


def _system_record(plan: _Plan, system: _SystemPlan, holds_pii: bool) -> System:
    rng = _rng(plan.salt, "system", system.index)
    owner = None if rng.random() < 0.15 else _person(rng)
    team = None if rng.random() < 0.05 else system.template.team
    criticality = _weighted(
        rng, tuple(zip(("high", "medium", "low"), CRITICALITY[system.tier], strict=True))
    )
    if holds_pii:
        erasure = _weighted(rng, (("api", 0.35), ("manual", 0.35), ("none", 0.1), ("unknown", 0.2)))
    else:
        erasure = _weighted(rng, (("none", 0.7), ("unknown", 0.3)))
    return System(
        system.key,
        name=system.name,
        kind=system.template.kind,
        owner=owner,
        team=team,
        criticality=criticality,
        holds_personal_data=holds_pii,
        erasure_method=erasure,
        layer=TIER_LAYER[system.tier],
        provenance=EXACT,
    )


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}@example.com"


def _dataset_records(
    plan: _Plan, system: System, d: int, schema: tuple[_Column, ...]
) -> Iterator[Record]:
    kind = plan.ds_kind[d]
    dataset = Dataset(
        plan.dataset_key(d),
        name=plan.ds_name[d],
        system=system.key,
        kind=kind,
        description=f"{plan.ds_entity[d].capitalize()} data in {system.name}",
        provenance=EXACT,
    )
    yield dataset
    yield contains(system, dataset, EXACT)
    with_format = kind in (DatasetKind.API_RESOURCE, DatasetKind.TOPIC)
    for column in schema:
        field = Field(
            field_key(dataset.key, column.name),
            name=column.name,
            dataset=dataset.key,
            type=column.type,
            format=_json_format(column) if with_format else None,
            classification=column.classification,
            pii_category=column.pii,
            provenance=EXACT,
        )
        yield field
        yield contains(dataset, field, EXACT)


def _json_format(column: _Column) -> str | None:
    if column.pii == "email":
        return "email"
    return {"timestamp": "date-time", "date": "date"}.get(column.type)


@dataclass
class _Pair:
    """What one integration carries, gathered while its flows are generated."""

    level: Classification = Classification.INTERNAL  # its most sensitive field
    topic: str | None = None  # the first broker topic it reads or writes


def _inbound_flows(
    plan: _Plan,
    system: _SystemPlan,
    schemas: dict[int, tuple[_Column, ...]],
    pairs: dict[int, _Pair],
) -> Iterator[Record]:
    # Upstream schemas are regenerated once per source; the cache dies with the source.
    cache: dict[int, tuple[_Column, ...]] = dict(schemas)
    transform_rate = 0.25 if TIER_LAYER[system.tier] in ("warehouse", "consumer") else 0.1
    for d in system.datasets:
        down_ref = NodeRef(NodeKind.DATASET, plan.dataset_key(d))
        for position, up in enumerate(plan.upstreams[d]):
            if up not in cache:
                cache[up] = _schema(plan, up)
            up_key = plan.dataset_key(up)
            yield flows_to(NodeRef(NodeKind.DATASET, up_key), down_ref, provenance=EXACT)
            rng = _rng(plan.salt, "flow", up, d)
            flows = _field_flows(rng, cache[up], schemas[d], position == 0, transform_rate)
            for flow in flows:
                yield _field_edge(up_key, down_ref.key, flow)
            pair = pairs.setdefault(plan.ds_system[up], _Pair())
            _note_pair(plan, pair, up, d, flows, cache[up])


def _field_edge(up_dataset: str, down_dataset: str, flow: _FieldFlow) -> Edge:
    return flows_to(
        NodeRef(NodeKind.FIELD, field_key(up_dataset, flow.upstream)),
        NodeRef(NodeKind.FIELD, field_key(down_dataset, flow.downstream)),
        flow_kind=flow.flow_kind,
        transform=flow.transform,
        provenance=flow.provenance,
    )


_PERSONAL = (Classification.CONFIDENTIAL, Classification.RESTRICTED)
_LEVEL_ORDER = (Classification.INTERNAL, Classification.CONFIDENTIAL, Classification.RESTRICTED)


def _note_pair(
    plan: _Plan,
    pair: _Pair,
    up: int,
    down: int,
    flows: list[_FieldFlow],
    up_schema: tuple[_Column, ...],
) -> None:
    levels = {column.name: column.classification for column in up_schema}
    for flow in flows:
        level = levels[flow.upstream]
        if level in _PERSONAL and _LEVEL_ORDER.index(level) > _LEVEL_ORDER.index(pair.level):
            pair.level = level
    if pair.topic is None:
        for d in (up, down):
            if plan.systems[plan.ds_system[d]].template.kind == "broker":
                pair.topic = plan.ds_name[d]


def _integration_records(
    plan: _Plan, upstream: int, downstream: int, pair: _Pair
) -> Iterator[Record]:
    up, down = plan.systems[upstream], plan.systems[downstream]
    rng = _rng(plan.salt, "integration", upstream, downstream)
    # The topic name is the transport: what an owner would search for.
    transport = pair.topic or _transport(rng, up, down)
    status = _weighted(rng, ((Status.GREEN, 0.8), (Status.YELLOW, 0.14), (Status.RED, 0.06)))
    both_ways = downstream in plan.inbound_systems[upstream]
    integration = Integration(
        f"int:{up.key}-->{down.key}",
        name=f"{up.name} -> {down.name}",
        direction="bidirectional" if both_ways else "one-way",
        frequency=_frequency(rng, transport, pair.topic is not None),
        transport=transport,
        tls=_tls(rng, transport, pair.topic is not None),
        owner=None if rng.random() < 0.2 else _person(rng),
        status=status,
        classification=pair.level,
        provenance=EXACT,
    )
    yield integration
    yield flows_to(NodeRef(NodeKind.SYSTEM, up.key), ref(integration), provenance=EXACT)
    yield flows_to(ref(integration), NodeRef(NodeKind.SYSTEM, down.key), provenance=EXACT)
    yield from _issue_records(rng, integration)


def _transport(rng: random.Random, up: _SystemPlan, down: _SystemPlan) -> str:
    if "middleware" in (up.tier, down.tier):  # an ESB: brokers are named by topic
        return _weighted(rng, (("https", 0.7), ("http", 0.2), ("sftp", 0.1)))
    if up.tier in ("staging", "mart") and down.tier in ("staging", "mart"):
        return "shared database"
    return _weighted(
        rng,
        (
            ("https", 0.5),
            ("http", 0.08),
            ("sftp", 0.14),
            ("shared database", 0.16),
            ("file drop", 0.12),
        ),
    )


def _frequency(rng: random.Random, transport: str, topic: bool) -> str:
    if topic:
        return _weighted(rng, (("real-time", 0.9), ("*/5 * * * *", 0.1)))
    if transport in ("https", "http"):
        options = (("real-time", 0.7), ("hourly", 0.2), ("*/15 * * * *", 0.1))
    else:
        options = (("nightly", 0.5), ("hourly", 0.2), ("0 2 * * *", 0.15), ("0 6 * * 1", 0.15))
    return _weighted(rng, options)


def _tls(rng: random.Random, transport: str, topic: bool) -> bool | None:
    if transport in ("https", "sftp"):
        return True
    if transport == "http":
        return False
    if rng.random() < 0.05:
        return None  # nobody checked
    chance = 0.85 if topic else 0.55
    return rng.random() < chance


def _issue_records(rng: random.Random, integration: Integration) -> Iterator[Record]:
    if integration.status not in ISSUE_TITLES:
        return
    red = integration.status is Status.RED
    count = rng.choice((1, 1, 2)) if red else int(rng.random() < 0.5)
    titles = rng.sample(ISSUE_TITLES[integration.status], count)
    if titles and integration.tls is False and integration.classification in _PERSONAL:
        titles[0] = "Personal data sent without TLS"
    for n, title in enumerate(titles, start=1):
        issue = Issue(
            f"issue:{integration.key}:{n}",
            title=title,
            impact=rng.randint(3, 5) if red else rng.randint(1, 3),
            frequency=rng.randint(1, 5),
            status=_weighted(rng, ISSUE_STATUSES),
            provenance=EXACT,
        )
        yield issue
        yield Edge(EdgeKind.AFFECTS, ref(issue), ref(integration), provenance=EXACT)
