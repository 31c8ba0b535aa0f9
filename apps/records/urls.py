from rest_framework.routers import SimpleRouter

from .views import ComputationViewSet, ShipmentViewSet, SurveyResponseViewSet, TicketViewSet

router = SimpleRouter()
router.register("survey-responses", SurveyResponseViewSet, basename="survey-response")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("shipments", ShipmentViewSet, basename="shipment")
router.register("kpi-computations", ComputationViewSet, basename="kpi-computation")
