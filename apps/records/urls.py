from rest_framework.routers import SimpleRouter

from .views import ShipmentViewSet, SurveyResponseViewSet, TicketViewSet

router = SimpleRouter()
router.register("survey-responses", SurveyResponseViewSet, basename="survey-response")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("shipments", ShipmentViewSet, basename="shipment")
