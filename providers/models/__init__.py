from providers.models.sales import (
    FeeKind,
    Payment,
    PaymentMethod,
    Refund,
    Sale,
    SaleKind,
    SaleLine,
    SaleStatus,
)
from providers.models.visits import (
    CareMessageLog,
    ChartAddendum,
    Visit,
    VisitConsent,
    VisitPhoto,
    VisitProduct,
    VisitService,
    VisitStatus,
)

__all__ = [
    "FeeKind",
    "CareMessageLog",
    "ChartAddendum",
    "Payment",
    "PaymentMethod",
    "Refund",
    "Sale",
    "SaleKind",
    "SaleLine",
    "SaleStatus",
    "Visit",
    "VisitConsent",
    "VisitPhoto",
    "VisitProduct",
    "VisitService",
    "VisitStatus",
]
