"""The ``status`` values of a ``DeliveryStatusTrigger`` event (read by the sensor when it resumes)."""

EVENT_SUCCESS = "success"
EVENT_TIMEOUT = "timeout"
EVENT_ERROR = "error"
