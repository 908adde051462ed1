"""Pure eligibility rules of hefei-aid (DOMAIN.md §2–§5, §8). No Django, no ORM, no other app.

Entry points: ``evaluate.evaluate(household, params)`` (Decimal, with reasons),
``payload.household_from_payload`` / ``payload.evaluation_to_payload`` (the public JSON of
``POST /api/v1/eligibility/evaluate/``), ``fast.evaluate_batch`` (integer-fen batch path),
``parameters.ParameterSet`` and ``defaults.DEFAULT_ROWS`` / ``defaults.build_static_parameter_set``.

Modules: ``types`` (values), ``parameters`` (resolver), ``income``, ``property_test``, ``care``,
``increments``, ``tiers`` (特困, 低保 + 单人户, 低收入, 支出型; re-exports 急难 from ``emergency``),
``evaluate``, ``payload``, ``fast``, ``defaults``; ``common`` holds rounding/format helpers and the
policy source texts.

Semantics settled here (where DOMAIN leaves room):

- Only counted members (lives together, not excluded) are assessed for 特困; the others are
  reported (``tekun.member_not_counted``) and ignored.
- 特困 conditions are checked in order and stop at the first personal one that fails: work
  capacity → able supporter → own income vs ``tekun_basic_annual`` (so the basic standard is needed
  only for a person without work capacity and without a supporter); the care table only for an
  eligible person.
- ``members`` of a tier lists the people it covers when eligible and is empty otherwise;
  ``monthly_amount`` is recurring cash (特困, 低保) and ``recommended_amount`` the one-off amount
  (急难) — each "0.00" elsewhere; ``approval_level`` is set for an eligible 急难 only.
- With no counted member the financial-asset test compares the whole amount (n taken as 1).
- The class-A increment wins over class B (a member gets only the highest class).
- 急难 approval level compares the rounded recommended amount with
  ``street_approval_multiplier × S``; an event dated after ``as_of`` is outside the look-back.
- Age is whole years on ``as_of``, increasing on the birthday (29 Feb → 1 Mar in common years).
- The shipped §8 defaults start 2021-06-17 (the plan's date), so no evaluation before that date can
  complete: it fails naming the first parameter the household needs.
- ``gradual_exit_months`` and ``reserve_fund_annual_min`` are shipped but not used here (渐退 needs
  the case history; the reserve fund is a street budget figure).

Reason codes: ``<area>.<condition>``, lower snake case, stable. The area is where the reason is
reported: ``income`` and ``property`` (the shared tests; ``income.*`` reasons appear on the
household ``dibao`` entry, ``property.*`` in ``property_test``), or the tier (``tekun``,
``dibao``, ``low_income``, ``expenditure_hardship``, ``emergency``). The condition names the fact
found; a satisfied and an unsatisfied condition always have different codes:

- income: ``member_not_living_together``, ``member_excluded``, ``exempt_income_excluded``,
  ``employment_cost_deducted``, ``counted_total``.
- property (fail | pass): ``financial_assets_exceed`` | ``financial_assets_within_limit``;
  ``vehicle_price`` | ``vehicle_within_limit``; ``too_many_homes`` | ``homes_within_limit``;
  ``business_employs_others`` | ``business_no_employees``; ``business_profit`` |
  ``business_profit_within_limit``.
- every property-tested tier: ``<tier>.property_test_passed`` | ``<tier>.property_test_failed``.
- tekun: ``member_not_counted``, ``no_counted_members``, ``has_work_capacity`` |
  ``no_work_capacity``, ``has_supporter`` | ``no_supporter``, ``income_at_or_above_basic`` |
  ``income_below_basic``, ``care_tier``, ``amount``.
- dibao (household): ``tekun_members_excluded``, ``no_remaining_members``,
  ``income_below_standard`` | ``income_at_or_above_standard``, ``increment_class_a``,
  ``increment_class_b``, ``amount``; 单人户: ``single_person_case``,
  ``single_household_income_in_band`` | ``single_household_income_at_or_above_limit``,
  ``single_own_income_below_standard`` | ``single_own_income_at_or_above_standard``,
  ``single_amount`` (the "not enrolled" ones go on the household entry).
- low_income: ``no_remaining_members``, ``income_below_standard``, ``income_in_band``,
  ``income_at_or_above_limit``.
- expenditure_hardship: ``no_remaining_members``, ``income_below_standard`` |
  ``income_at_or_above_standard``, ``net_income_below_standard`` |
  ``net_income_at_or_above_standard``.
- emergency: ``no_event``, ``stranded``, ``within_lookback`` | ``outside_lookback`` |
  ``event_after_as_of``, ``unmet_need`` | ``no_unmet_need``, ``grants_below_limit`` |
  ``grant_limit``, ``new_cause`` | ``same_cause``, ``amount_unmet_need`` |
  ``amount_raised_to_minimum`` | ``amount_capped_at_maximum`` | ``amount_stranded``,
  ``street_approval`` | ``county_approval``.
"""
