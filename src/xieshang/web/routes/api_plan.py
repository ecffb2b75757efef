"""The JSON API of finances and the plan (under ``/api``): the same services as ``xieshang finances``
and ``xieshang plan``, answering their ``--json`` documents (docs/cli-json.md, docs/plan.md).

- ``GET/PUT /api/finances`` — read; change (only the fields given; one transaction);
- ``POST /api/plan`` — compute the plan; ``POST /api/plan/whatif`` — the same with changes for this
  run only (nothing is stored); ``POST /api/plan/save`` — compute and save it for the letters;
  ``GET /api/plan`` — the saved plan;
- ``GET /api/plan/options`` — each loan's options; ``GET/POST /api/plan/offers``,
  ``POST /api/plan/refusals``, ``DELETE /api/plan/offers/{loan_id}/{kind}`` — lenders' answers.

Errors are ``{"error": {"key", "message", "field"?, "fields"?}}`` (404 unknown loan, 409 no case,
422 bad input — nothing written).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from xieshang import clock
from xieshang.errors import UserError
from xieshang.web.context import store_of
from xieshang.web.forms import FormErrors
from xieshang.web.plan_forms import (
    FIN_FIELDS,
    OFFER_FIELDS,
    WHATIF_FIELDS,
    finance_changes,
    finance_form_values,
    offer_from_form,
    service_error,
    whatif_from_form,
)
from xieshang.web.routes.api import ERRORS

router = APIRouter(tags=["finances and plan"], responses=ERRORS)

Amount = Annotated[str | int | None, Field(default=None, description="Yuan, e.g. \"1234.56\" or 1234.")]
Json = dict[str, Any]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------


class IncomeIn(_In):
    name: str = Field(default="", max_length=100)
    amount: str | int = Field(description="Per `frequency`, in yuan.")
    frequency: str = Field(default="monthly", max_length=20, description="monthly, weekly, biweekly, quarterly, yearly")
    stability: str = Field(default="stable", max_length=20, description="stable, variable, uncertain (not counted)")


class ItemIn(_In):
    name: str = Field(max_length=100)
    amount: str | int


class FinancesIn(_In):
    """What to change; a field left out is kept. ``incomes``, ``assets`` and ``obligations`` replace
    their lists; ``expenses`` sets the categories given (0 removes one); a protected minimum or
    reserve of ``"default"`` goes back to the rules data's default."""

    incomes: list[IncomeIn] | None = Field(default=None, max_length=8)
    expenses: dict[str, str | int] | None = Field(
        default=None, max_length=10,
        description="Category → monthly amount: housing, food, transport, medical, education, family, other.")
    dependents: int | None = Field(default=None, ge=0, le=50)
    savings: Amount = None
    protected_minimum: Amount = None
    living_buffer: Amount = None
    emergency_reserve: Amount = None
    assets: list[ItemIn] | None = Field(default=None, max_length=20)
    obligations: list[ItemIn] | None = Field(default=None, max_length=20)


class IncomeOut(BaseModel):
    name: str
    amount: str
    frequency: str
    stability: str
    change_on: str | None
    change_to: str | None


class ItemOut(BaseModel):
    name: str
    amount: str


class ProtectedSource(BaseModel):
    set_by_user: bool
    per_person: str
    source: str
    as_of: str
    confidence: str
    note: str


class FinancesOut(BaseModel):
    """The finances and what they leave each month (``xieshang finances show --json``)."""

    incomes: list[IncomeOut]
    expenses: dict[str, str]
    dependents: int
    savings: str
    assets: list[ItemOut]
    obligations: list[ItemOut]
    living_buffer: str
    protected_minimum: str
    protected_minimum_source: ProtectedSource
    emergency_reserve: str
    income_monthly: str
    uncertain_income_monthly: str
    essentials_monthly: str
    other_obligations_monthly: str
    capacity_monthly: str
    lump_sum_available: str
    assets_total: str
    missing: list[str]


class PlanIn(_In):
    objective: str = Field(default="cost", max_length=20, description="cost, time, monthly or credit.")
    months: int = Field(default=60, ge=2, le=120, description="Horizon in months.")


class RefusalIn(_In):
    loan_id: int = Field(ge=1, le=2**31 - 1)
    kind: str = Field(max_length=30, description="instalment, interest-freeze, extension, waiver, settlement")


class WhatIfIn(PlanIn):
    """Changes for this run only: nothing is stored."""

    income: Amount = None
    spending: Amount = None
    lump_sum: Amount = None
    refuse: list[RefusalIn] = Field(default_factory=list, max_length=40)

    def as_form(self) -> tuple[dict[str, str], list[str]]:
        data = {n: str(getattr(self, n)) for n in WHATIF_FIELDS if getattr(self, n) is not None}
        return data, [f"{r.loan_id}:{r.kind}" for r in self.refuse]


class StrategyOut(BaseModel):
    name: str
    feasible: bool
    total_paid: str
    months_to_debt_free: int | None
    overdue_account_months: int
    max_monthly_payment: str
    schedule: list[dict[str, Any]] = Field(description="Months with payments: month, date, capacity, total, "
                                                       "set_aside, payments [{loan_id, amount}].")
    basis: str | None = None
    options: list[dict[str, Any]] | None = None
    reason: str | None = None


class PlanOut(BaseModel):
    """A computed plan (``xieshang plan --json``): the optimal strategy and the baselines, one proposal
    per loan, and when nothing fits the monthly shortfall, the smallest changes and the triage."""

    start: str
    months: int
    objective: str
    feasible: bool
    owed_now: str
    capacity_monthly: str
    lump_sum: str
    strategies: list[StrategyOut]
    proposals: list[dict[str, Any]]
    shortfall: str
    suggestions: list[dict[str, Any]]
    triage: list[dict[str, Any]]
    stress: list[dict[str, Any]]
    loans: list[dict[str, Any]]
    solver: dict[str, Any]
    whatif: dict[str, Any] | None = None


class SavedPlanOut(BaseModel):
    """The saved plan (``xieshang plan show --json``): what the letters use."""

    created_on: str
    objective: str
    monthly_capacity: str
    start: str
    months: int
    proposals: list[dict[str, Any]]
    plan: dict[str, Any]


class OptionOut(BaseModel):
    key: str
    kind: str
    months: int
    down_payment: str | None
    interest: str
    reduced_annual_rate: str | None
    waiver_share: str
    settlement_amount: str | None
    settlement_discount: str
    chance: str | None
    typical: bool
    source: str
    confidence: str


class LoanOptionsOut(BaseModel):
    loan_id: int
    label: str
    options: list[OptionOut]
    refused: list[str]


class OptionsOut(BaseModel):
    loans: list[LoanOptionsOut]


class OfferIn(_In):
    """What a lender offered for one kind of option (replaces its earlier answer of that kind)."""

    loan_id: int = Field(ge=1, le=2**31 - 1)
    kind: str = Field(max_length=30, description="instalment, interest-freeze, extension, waiver, settlement")
    months: int | None = Field(default=None, ge=1, le=120)
    down: Amount = None
    interest: str | None = Field(default=None, max_length=20, description="continues, reduced, stops")
    rate: str | None = Field(default=None, max_length=40, description="Reduced annual rate, e.g. 7.2%.")
    waive: str | None = Field(default=None, max_length=20, description="Share waived, 0–1 or a percentage.")
    amount: Amount = None
    chance: str | None = Field(default=None, max_length=20, description="Your estimate, 0–1 or a percentage.")
    note: str | None = Field(default=None, max_length=2000)

    def as_form(self) -> dict[str, str]:
        return {n: str(getattr(self, n)) for n in OFFER_FIELDS if getattr(self, n) is not None}


class RefusalBody(RefusalIn):
    note: str | None = Field(default=None, max_length=2000)


class OfferOut(BaseModel):
    id: int
    loan_id: int
    kind: str
    refused: bool
    months: int | None
    down_payment: str | None
    interest: str | None
    reduced_annual_rate: str | None
    waiver_share: str | None
    settlement_amount: str | None
    chance: str | None
    note: str
    recorded_on: str


class ForgetOut(BaseModel):
    removed: int


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def _fail(status: int, key: str, text: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"key": key, "message": text, **extra}}, status_code=status)


def _invalid(errors: dict[str, str]) -> JSONResponse:
    return _fail(422, "web.error.invalid", next(iter(errors.values())), fields=errors)


def _user_error(exc: UserError, fields: tuple[str, ...] = ()) -> JSONResponse:
    from xieshang.web.app import NO_CASE_KEYS, NOT_FOUND_KEYS

    status = 404 if exc.key in NOT_FOUND_KEYS else 409 if exc.key in NO_CASE_KEYS else 422
    err = service_error(exc, fields).errors
    fld, text = next(iter(err.items()))
    return _fail(status, exc.key, text, **({"field": fld} if fld else {}))


def _finances_form(body: FinancesIn, current: Any) -> dict[str, str]:
    """The body as the form's text, starting from the stored finances (a left-out field is kept)."""
    from xieshang.planner.finances import EXPENSE_CATEGORIES

    data = finance_form_values(current)
    if body.incomes is not None:
        data = {k: v for k, v in data.items() if not k.startswith("income_")}
        for i, inc in enumerate(body.incomes):
            data.update({f"income_name_{i}": inc.name, f"income_amount_{i}": str(inc.amount),
                         f"income_freq_{i}": inc.frequency, f"income_stab_{i}": inc.stability})
    for cat, amount in (body.expenses or {}).items():
        if cat not in EXPENSE_CATEGORIES:
            raise UserError("plan.error.bad_category", value=cat[:40], choices=", ".join(EXPENSE_CATEGORIES))
        data[f"expense_{cat}"] = str(amount)
    if body.dependents is not None:
        data["dependents"] = str(body.dependents)
    for name in ("savings", "protected_minimum", "living_buffer", "emergency_reserve"):
        value = getattr(body, name)
        if value is not None:
            data[name] = "" if str(value).strip().lower() in ("default", "默认") else str(value)
    for name in ("assets", "obligations"):
        items = getattr(body, name)
        if items is not None:
            data[name] = "\n".join(f"{i.name.replace('=', ' ')}={i.amount}" for i in items)
    return data


# ---------------------------------------------------------------------------------------
# Finances
# ---------------------------------------------------------------------------------------


@router.get("/finances", summary="Your finances and what they leave each month for the debts",
            response_model=FinancesOut)
def finances_show(request: Request) -> Response:

    from xieshang.services.finances import get_finances

    try:
        fin = get_finances(store_of(request))
    except UserError as exc:
        return _user_error(exc)
    if fin is None:
        return _fail(404, "plan.error.no_finances", UserError("plan.error.no_finances").message())
    return JSONResponse(fin.to_json(clock.today()))


@router.put("/finances", summary="Change your finances (only the fields given; nothing is written on an error)",
            response_model=FinancesOut)
def finances_set(request: Request, body: FinancesIn) -> Response:

    from xieshang.services.finances import get_finances, set_finances

    st = store_of(request)
    try:
        current = get_finances(st)
        data = _finances_form(body, current)
        fin = set_finances(st, finance_changes(data, current))
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, FIN_FIELDS)
    return JSONResponse(fin.to_json(clock.today()))


# ---------------------------------------------------------------------------------------
# Plan
# ---------------------------------------------------------------------------------------


def _compute(request: Request, body: PlanIn, whatif: WhatIfIn | None) -> Any:
    from xieshang.services.plan import plan_case

    w = None
    if whatif is not None:
        data, refuse = whatif.as_form()
        w = whatif_from_form(data, refuse)
    return plan_case(store_of(request), objective=body.objective, months=body.months, whatif=w)


@router.post("/plan", summary="Compute the best plan across all debts (nothing is stored)", response_model=PlanOut)
def plan_compute(request: Request, body: PlanIn | None = None) -> Response:
    try:
        result = _compute(request, body or PlanIn(), None)
    except UserError as exc:
        return _user_error(exc, ("objective", "months"))
    return JSONResponse(result.to_json())


@router.post("/plan/whatif", summary="Re-plan with other income, spending, a lump sum or lenders' refusals "
                                     "(nothing is stored)", response_model=PlanOut)
def plan_whatif(request: Request, body: WhatIfIn) -> Response:
    try:
        result = _compute(request, body, body)
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, (*WHATIF_FIELDS, "objective", "months"))
    doc = result.to_json()
    data, refuse = body.as_form()
    doc["whatif"] = {**{n: data.get(n) for n in WHATIF_FIELDS}, "refuse": refuse}
    return JSONResponse(doc)


@router.post("/plan/save", summary="Compute the plan (with what-if changes, if given) and save it for the letters",
             response_model=SavedPlanOut)
def plan_save(request: Request, body: WhatIfIn | None = None) -> Response:
    from xieshang.services.plan import save_plan

    b = body or WhatIfIn()
    try:
        saved = save_plan(store_of(request), _compute(request, b, b))
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, (*WHATIF_FIELDS, "objective", "months"))
    return JSONResponse(saved.to_json())


@router.get("/plan", summary="The saved plan and its per-lender proposals", response_model=SavedPlanOut)
def plan_saved(request: Request) -> Response:
    from xieshang.services.plan import saved_plan

    saved = saved_plan(store_of(request))
    if saved is None:
        return _fail(404, "plan.error.no_saved_plan", UserError("plan.error.no_saved_plan").message())
    return JSONResponse(saved.to_json())


@router.get("/plan/options", summary="Each loan's options as the planner sees them (typical, offered, refused)",
            response_model=OptionsOut)
def plan_options(request: Request) -> Response:
    from xieshang.services.plan import case_options

    try:
        opts = case_options(store_of(request))
    except UserError as exc:
        return _user_error(exc)
    return JSONResponse({"loans": [o.to_json() for o in opts]})


@router.get("/plan/offers", summary="The lenders' recorded answers (offers and refusals)",
            response_model=list[OfferOut])
def offers_list(request: Request) -> Response:
    from xieshang.services.plan import list_offers

    return JSONResponse([r.to_json() for r in list_offers(store_of(request))])


@router.post("/plan/offers", status_code=201, summary="Record what a lender offered (replaces the typical "
                                                      "option of that kind)", response_model=OfferOut)
def offer_record(request: Request, body: OfferIn) -> Response:
    from xieshang.services.plan import record_offer

    try:
        rec = record_offer(store_of(request), body.loan_id, offer_from_form(body.as_form()))
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, OFFER_FIELDS)
    return JSONResponse(rec.to_json(), status_code=201)


@router.post("/plan/refusals", status_code=201, summary="Record that a lender refused an option (plans stop "
                                                        "using it)", response_model=OfferOut)
def refusal_record(request: Request, body: RefusalBody) -> Response:
    from xieshang.services.plan import record_offer

    try:
        offer = offer_from_form({"kind": body.kind, "note": body.note or ""}, refused=True)
        rec = record_offer(store_of(request), body.loan_id, offer)
    except FormErrors as exc:
        return _invalid(exc.errors)
    except UserError as exc:
        return _user_error(exc, OFFER_FIELDS)
    return JSONResponse(rec.to_json(), status_code=201)


@router.delete("/plan/offers/{loan_id}/{kind}", summary="Forget a lender's answer (back to the typical option)",
               response_model=ForgetOut)
def offer_forget(request: Request, loan_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                 kind: Annotated[str, Path(max_length=40)]) -> Response:
    from xieshang.services.plan import clear_offer

    try:
        removed = clear_offer(store_of(request), loan_id, kind)
    except UserError as exc:
        return _user_error(exc, ("kind",))
    return JSONResponse({"removed": removed})
