"""Investigations of critical and firearm reports, with witness statements (issue 20). The "Production
admins" group reads them in the admin (they are written on the site only), as it reads the trail."""

from django.contrib.auth.management import create_permissions

import django.db.models.deletion
import django.utils.timezone
import incidents.models.investigation
from django.conf import settings
from django.db import migrations, models


GROUP = "Production admins"
PERMISSIONS = ["view_investigation"]


def admins_read_investigations(apps, schema_editor):
    app_config = apps.get_app_config("incidents")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    found = list(Permission.objects.filter(content_type__app_label="incidents", codename__in=PERMISSIONS))
    if len(found) != len(PERMISSIONS):
        raise RuntimeError(f"permissions missing: {PERMISSIONS}")
    group.permissions.add(*found)


def admins_stop_reading_investigations(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="incidents", codename__in=PERMISSIONS))


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0018_bounded_reminders_at_the_top'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Investigation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('what_happened', models.TextField(blank=True, max_length=10000, verbose_name='what happened')),
                ('whys', models.JSONField(blank=True, default=list, verbose_name='why chain')),
                ('factors', models.JSONField(blank=True, default=list, verbose_name='contributing factors')),
                ('factors_other', models.CharField(blank=True, max_length=200, verbose_name='other factor')),
                ('version', models.PositiveIntegerField(default=1, verbose_name='version')),
                ('opened_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='opened')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='last changed')),
                ('linked_reports', models.ManyToManyField(blank=True, related_name='linked_by_investigations', to='incidents.report', verbose_name='linked reports')),
                ('opened_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='opened by')),
                ('report', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='investigation', to='incidents.report', verbose_name='report')),
                ('updated_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='last changed by')),
            ],
            options={
                'verbose_name': 'investigation',
                'verbose_name_plural': 'investigations',
                'ordering': ['-updated_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='WitnessStatement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('witness', models.CharField(max_length=200, verbose_name='witness')),
                ('file', models.FileField(max_length=300, upload_to=incidents.models.investigation.statement_path)),
                ('original_name', models.CharField(max_length=255, verbose_name='file name')),
                ('content_type', models.CharField(max_length=64, verbose_name='type')),
                ('size', models.PositiveIntegerField(verbose_name='size (bytes)')),
                ('sha256', models.CharField(max_length=64)),
                ('added_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='added')),
                ('added_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='added by')),
                ('investigation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='statements', to='incidents.investigation', verbose_name='investigation')),
            ],
            options={
                'verbose_name': 'witness statement',
                'verbose_name_plural': 'witness statements',
                'ordering': ['added_at', 'pk'],
            },
        ),
        migrations.RunPython(admins_read_investigations, admins_stop_reading_investigations),
    ]
