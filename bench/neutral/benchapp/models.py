from django.db import models


class Row(models.Model):
    name = models.CharField(max_length=100)
    email = models.CharField(max_length=200)
    score = models.FloatField()
    active = models.BooleanField(default=True)
