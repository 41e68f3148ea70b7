"""The API's routers; ``embargo.api.app.ROUTERS`` lists the ones the app serves."""
