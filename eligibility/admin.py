from django.contrib import admin

from eligibility.models import Determination, PolicyParameter


@admin.register(PolicyParameter)
class PolicyParameterAdmin(admin.ModelAdmin[PolicyParameter]):
    """Adding goes through the audited service (a new dated value); rows are never edited in place here."""

    list_display = ["name", "region", "effective_from", "display_value", "source", "changed_by", "changed_at"]
    list_filter = ["name"]
    search_fields = ["name", "region__code", "region__name", "source"]

    fields = ["name", "region", "effective_from", "value", "value_json", "source", "note"]
    raw_id_fields = ["region"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        from eligibility.services import parameter_add

        saved = parameter_add(
            actor=request.user,
            name=obj.name,
            region=obj.region,
            effective_from=obj.effective_from,
            value=obj.value_json if obj.value_json is not None else obj.value,
            source=obj.source,
            note=obj.note,
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Determination)
class DeterminationAdmin(admin.ModelAdmin[Determination]):
    list_display = ["household", "as_of", "primary_tier", "monthly_amount_fen", "tiers", "changed_at"]
    list_filter = ["primary_tier"]
